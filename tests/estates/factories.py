"""factory_boy factories for the estate inventory."""

import datetime
from decimal import Decimal

import factory

from accounts.models import User
from estates import models
from estates.validators import resident_id_check_char


def make_resident_id(seq: int) -> str:
    first17 = f"500103{1960 + seq % 40:04d}{1 + seq % 12:02d}{1 + seq % 28:02d}{seq % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("mobile",)

    mobile = factory.Sequence(lambda n: f"1390{n:07d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw-anju-test")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.District

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"测试区{n}")


class SubdistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Subdistrict

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Community

    subdistrict = factory.SubFactory(SubdistrictFactory)
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"测试社区{n}")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Estate

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"测试小区{n}")
    address = "重庆市渝中区测试路1号"
    built_year = 1992


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    estate = factory.SubFactory(EstateFactory)
    number = factory.Sequence(lambda n: f"B{n}")
    floors = 7


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Unit

    building = factory.SubFactory(BuildingFactory)
    entrance = 1
    floor = 3
    number = factory.Sequence(lambda n: f"{n:04d}")
    exclusive_area = Decimal("68.50")


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Owner

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"业主{n}")

    @factory.post_generation
    def id_number(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the instance
        obj.set_id_number(extracted or make_resident_id(obj.pk))
        obj.set_phone("13812345678")
        if create:
            obj.save()


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Ownership

    unit = factory.SubFactory(UnitFactory)
    owner = factory.LazyAttribute(lambda o: OwnerFactory(estate=o.unit.building.estate))
    share = Decimal("1")
    since = datetime.date(2020, 1, 1)


class CommonAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CommonAsset

    estate = factory.SubFactory(EstateFactory)
    kind = models.AssetKind.PARKING_SPACE
    code = factory.Sequence(lambda n: f"P{n:04d}")


class RenovationProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RenovationProject

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"改造项目{n}")
    year = 2021
