"""The demo's 存房 (issue 15, first slice), loaded by ``seed_demo`` after the work orders.

In 洋河新村, 刘秀英 (13800000002) entrusted a flat: surveyed, offered as a sublet with guaranteed rent (5 years,
3 rent-free months, a 30,000 yuan renovation recovered over 24 months), accepted online, and listed on
/rentals/. 冉桂芳 (13900000003) entrusted hers too: surveyed and offered as agency with an 8 % commission, waiting
for her answer in the portal. Everything goes through the services, answered by the platform administrator
(洋河新村 has no staff login in the demo).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import TextIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.models import Payee
from estates.demo import YANGHE
from estates.models import Estate

from .models import AgreementMode, Entrustment
from .selectors.entrustments import units_owned_by

ALREADY = "存房演示数据已存在 / Flat-pooling demo data exists already"
ADMIN = "13900000000"


def _photo(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG")
    return SimpleUploadedFile("room.jpg", buffer.getvalue(), content_type="image/jpeg")


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def seed_rentals_demo(stdout: TextIO | None = None) -> dict[str, int]:
    from .services.entrustments import entrustment_accept, entrustment_apply, entrustment_offer, entrustment_survey
    from .services.listings import listing_create, listing_publish

    counts = {"entrustments": 0, "listings": 0}
    estate = Estate.objects.filter(name=YANGHE).first()
    admin = User.objects.filter(mobile=ADMIN).first()
    owners = [User.objects.filter(mobile=m).first() for m in ("13800000002", "13900000003")]
    if estate is None or admin is None or not all(owners):
        return counts
    if Entrustment.objects.filter(estate=estate).exists():
        _write(stdout, ALREADY)
        return counts
    today = timezone.localdate()
    start = today.replace(day=1)
    with transaction.atomic():
        sublet_owner, agency_owner = owners
        unit = units_owned_by(user=sublet_owner, on=today).filter(building__estate=estate).first()
        if unit is not None:
            e = entrustment_apply(user=sublet_owner, unit=unit, vacant_from=start, note="房屋空置，钥匙放在物业服务中心")
            entrustment_survey(
                entrustment=e,
                by=admin,
                condition="两室一厅，墙面和厨卫老旧，需翻新后出租",
                rent_estimate=Decimal("1800.00"),
                photos=[_photo((214, 200, 180)), _photo((190, 205, 215))],
            )
            # The operator sublets, so the rent goes to its supervised account (住房租赁条例 Art. 19); the owner's
            # guaranteed rent is paid to her own payee.
            operator = Payee.objects.create(
                estate=estate, legal_name="洋河新村存房运营有限公司", supervised=True, supervising_bank="重庆农村商业银行"
            )
            owner_payee = Payee.objects.create(estate=estate, legal_name="刘秀英")
            agreement = entrustment_offer(
                entrustment=e,
                by=admin,
                mode=AgreementMode.SUBLET,
                operator_payee=operator,
                owner_payee=owner_payee,
                start_on=start,
                term_years=5,
                rent_free_months=3,
                guaranteed_rent=Decimal("1500.00"),
                renovation_budget=Decimal("30000.00"),
                recovery_months=24,
                notice_days=60,
            )
            entrustment_accept(entrustment=e, by=sublet_owner)
            listing = listing_create(
                agreement=agreement,
                by=admin,
                rent=Decimal("2100.00"),
                deposit=Decimal("2100.00"),
                bedrooms=2,
                available_from=start + datetime.timedelta(days=100),
            )
            listing_publish(listing=listing, by=admin)
            counts["entrustments"] += 1
            counts["listings"] += 1
        unit = units_owned_by(user=agency_owner, on=today).filter(building__estate=estate).first()
        if unit is not None:
            e = entrustment_apply(user=agency_owner, unit=unit, vacant_from=start, note="")
            entrustment_survey(
                entrustment=e,
                by=admin,
                condition="一室一厅，装修较新，可直接出租",
                rent_estimate=Decimal("1400.00"),
                photos=[_photo((220, 215, 200))],
            )
            payee = Payee.objects.create(estate=estate, legal_name="冉桂芳")
            entrustment_offer(
                entrustment=e,
                by=admin,
                mode=AgreementMode.AGENCY,
                start_on=start + datetime.timedelta(days=31),
                term_years=3,
                commission_percent=Decimal("8.00"),
                owner_payee=payee,
                notice_days=30,
            )
            counts["entrustments"] += 1
    _write(stdout, f"存房：{counts['entrustments']} 份申请，{counts['listings']} 套房源 / {counts}")
    return counts
