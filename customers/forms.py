from django import forms


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text="added to the balance; negative to take points away (never below zero)",
    )
    reason = forms.CharField(max_length=200, help_text="kept in the ledger for good")

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("An adjustment of 0 points changes nothing.")
        return points
