from django.db.models import Count, Q

from estates.models import Building, Estate, ProjectStatus, Unit


def city_figures() -> dict[str, int]:
    """Live figures for the public home page; a fixed number of queries whatever the data size."""
    estates = Estate.objects.aggregate(
        total=Count("pk"),
        renovated=Count("pk", filter=Q(renovation_projects__status=ProjectStatus.COMPLETED), distinct=True),
    )
    units = Unit.objects.aggregate(
        total=Count("pk"),
        with_lift_added=Count("pk", filter=Q(building__lift_added_year__isnull=False)),
    )
    return {
        "estates": estates["total"],
        "estates_renovated": estates["renovated"],
        "units": units["total"],
        "households_with_lift_added": units["with_lift_added"],
        "buildings_with_lift_added": Building.objects.filter(lift_added_year__isnull=False).count(),
    }
