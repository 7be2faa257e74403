"""Forms of the action plan's pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms

from .models import Action, RecommendationResponse

DATE_FORMATS = ["%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%Y-%m-%d"]
DATE_HINT = "For example, 31/03/2025"


class ResponseForm(forms.Form):
    answer = forms.ChoiceField(
        choices=RecommendationResponse.Answer.choices,
        error_messages={"required": "Choose whether the region agrees: agreed, partly agreed or not agreed"},
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say how the region will respond to the recommendation"},
    )
    standard = forms.ChoiceField(required=False)

    def __init__(self, *args, standards=(), **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.standards = {str(s.pk): s for s in standards}
        self.fields["standard"].choices = [("", "None in particular")] + [
            (k, str(s)) for k, s in self.standards.items()
        ]

    def clean_standard(self):
        return self.standards.get(self.cleaned_data.get("standard") or "")


class ActionForm(forms.Form):
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the action: what will be done, by whom and by when"},
    )
    owner_name = forms.CharField(max_length=200, error_messages={"required": "Enter the name of the action's owner"})
    owner_email = forms.EmailField(
        error_messages={
            "required": "Enter the owner's email address",
            "invalid": "Enter the owner's email address, like name@example.com",
        }
    )
    due_date = forms.DateField(
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Enter the date the action is due",
            "invalid": "Enter the due date as day/month/year, for example 31/03/2025",
        },
    )
    rag = forms.ChoiceField(choices=Action.Rag.choices, initial=Action.Rag.GREEN)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("prefix", "new-action")
        super().__init__(*args, **kwargs)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Action.Status.choices, error_messages={"required": "Choose the action's status"})
    rag = forms.ChoiceField(choices=Action.Rag.choices, error_messages={"required": "Choose a RAG rating"})

    def __init__(self, *args, action: Action, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("prefix", f"action-{action.number}")
        kwargs.setdefault("initial", {"status": action.status, "rag": action.rag})
        super().__init__(*args, **kwargs)
        self.action = action


class ProgressNoteForm(forms.Form):
    date = forms.DateField(
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Enter the date of the progress",
            "invalid": "Enter the date as day/month/year, for example 31/03/2025",
        },
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Describe the progress made"}
    )
    evidence_url = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, action: Action, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("prefix", f"note-{action.number}")
        super().__init__(*args, **kwargs)
        self.action = action


class FollowUpForm(forms.Form):
    judgement = forms.ChoiceField(
        choices=RecommendationResponse.Judgement.choices,
        error_messages={"required": "Choose whether the recommendation was met, partly met or not met"},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), error_messages={"required": "Give the evidence for the judgement"}
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
