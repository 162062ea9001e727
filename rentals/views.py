"""Public pages of 存房: the listings with their filters, one listing, and its photos. A fixed number of queries
whatever the number of listings (count, page, photos, districts)."""

from django import forms
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from estates.models import District

from .city_rules import city_rules
from .selectors.listings import ListingFilters, listing_photo_public, listings_public

PAGE_SIZE = 20


class ListingSearchForm(forms.Form):
    district = forms.TypedChoiceField(label=gettext_lazy("District"), required=False, coerce=int, empty_value=None)
    rent_min = forms.DecimalField(label=gettext_lazy("Rent from"), required=False, min_value=0, decimal_places=2)
    rent_max = forms.DecimalField(label=gettext_lazy("Rent to"), required=False, min_value=0, decimal_places=2)
    bedrooms = forms.TypedChoiceField(
        label=gettext_lazy("Bedrooms (at least)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *((str(n), str(n)) for n in range(1, 5))],
    )
    area_min = forms.DecimalField(label=gettext_lazy("Area from (m²)"), required=False, min_value=0, decimal_places=2)
    area_max = forms.DecimalField(label=gettext_lazy("Area to (m²)"), required=False, min_value=0, decimal_places=2)
    lift = forms.TypedChoiceField(
        label=gettext_lazy("Lift"),
        required=False,
        empty_value=None,
        coerce=lambda v: v == "1",
        choices=[("", "—"), ("1", gettext_lazy("With a lift")), ("0", gettext_lazy("Without a lift"))],
    )

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", "—"), *((str(d.pk), d.name) for d in districts)]

    def filters(self) -> ListingFilters:
        if not self.is_valid():
            return ListingFilters()
        return ListingFilters(**{k: v for k, v in self.cleaned_data.items() if v not in (None, "")})


@require_GET
def index(request):
    districts = list(District.objects.order_by("code"))
    form = ListingSearchForm(request.GET or None, districts=districts)
    listings = listings_public(filters=form.filters() if request.GET else None)
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "rentals/index.html",
        {"form": form, "page": page, "rules": city_rules(), "query": query.urlencode()},
    )


@require_GET
def listing_detail(request, pk: int):
    listing = get_object_or_404(listings_public(), pk=pk)
    return render(request, "rentals/listing.html", {"listing": listing, "rules": city_rules()})


@require_GET
def photo(request, pk: int):
    row = listing_photo_public(pk=pk)
    if row is None:
        raise Http404
    return FileResponse(row.image.open("rb"), content_type=row.content_type)
