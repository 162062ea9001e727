"""Forms of the owners' portal and of the back-office actions (the Wagtail model forms live in viewsets.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AssemblyMatter, Ballot, BallotChoice


class VoteForm(forms.Form):
    """One yes/no/abstain choice per matter of an assembly; matters left blank keep the owner's earlier choice."""

    #: Sent by "submit anyway" after the warning that some matters are left blank.
    confirm_blank = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        matters: list[AssemblyMatter],
        ballots: dict[int, Ballot] | None = None,
        warn_blank: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.warn_blank = warn_blank
        ballots = ballots or {}
        self.matters = matters
        self.ballots = ballots
        self.blank_matters: list[AssemblyMatter] = []
        for matter in matters:
            ballot = ballots.get(matter.pk)
            self.fields[f"matter_{matter.pk}"] = forms.ChoiceField(
                label=matter.title,
                choices=BallotChoice.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=ballot.choice if ballot else None,
            )

    def clean(self):
        data = super().clean()
        if not any(data.get(f"matter_{m.pk}") for m in self.matters):
            raise forms.ValidationError("请至少对一项事项表决 / Vote on at least one matter.")
        # A matter with no choice now and none before is not voted on at all: say so and ask again.
        self.blank_matters = [m for m in self.matters if not data.get(f"matter_{m.pk}") and m.pk not in self.ballots]
        if self.warn_blank and self.blank_matters and not data.get("confirm_blank"):
            raise forms.ValidationError(
                "有事项未表决，未表决的事项不计入您的投票。确认提交吗？ / "
                "Some matters are left blank: you will not have voted on them. Submit anyway?",
                code="blank_matters",
            )
        return data

    @property
    def asks_blank_confirmation(self) -> bool:
        return any(e.code == "blank_matters" for e in self.non_field_errors().as_data())

    def choices(self) -> dict[int, str]:
        return {m.pk: self.cleaned_data[f"matter_{m.pk}"] for m in self.matters if self.cleaned_data.get(f"matter_{m.pk}")}

    def matter_fields(self):
        """(matter, bound field) pairs for the template."""
        return [(m, self[f"matter_{m.pk}"]) for m in self.matters]


class CallAssemblyForm(forms.Form):
    residents_committee_informed_on = forms.DateField(
        label=_("Residents' committee informed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )
    residents_committee_note = forms.CharField(
        label=_("How the residents' committee was informed"),
        required=False,
        max_length=200,
        help_text=_("E.g. written notice handed to the residents' committee office."),
    )


class ConfirmForm(forms.Form):
    """A POST with a CSRF token and nothing else: the confirmation of an action."""


class DecisionStatusForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class InspectionAskForm(forms.Form):
    """An owner's request to inspect one record of their estate: the record, a message, a preferred date."""

    record = forms.ChoiceField(label=_("Record to inspect"))
    preferred_on = forms.DateField(label=_("Preferred date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you want to see, e.g. the invoices behind a cost."),
    )

    def __init__(self, *args, records: list, **kwargs):
        """``records``: ``selectors.inspection.InspectableRecords`` of each of the owner's estates."""
        super().__init__(*args, **kwargs)
        self.records = {group.estate.pk: group for group in records}
        self.fields["record"].choices = [("", "—")] + [
            (group.estate.name, group.choices()) for group in records if group.choices()
        ]

    def clean_record(self):
        reference = self.cleaned_data["record"]
        for group in self.records.values():
            if reference in dict(group.choices()):
                self.owner = group.owner
                return reference
        raise forms.ValidationError(_("Choose one of the records listed."))
