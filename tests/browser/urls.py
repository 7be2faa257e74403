"""The project's URLs plus one page with a plain POST form, for the session timeout tests.

The form stands for any data-entry page (a case review section): a hidden version
field, a text area and radios. Posting it answers with what arrived, so a test can
check what would have been saved.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

DRAFT_PAGE = """{% extends "base.html" %}
{% block title %}Draft{% endblock %}
{% block content %}
<h1 class="govuk-heading-l">Draft</h1>
<form method="post" novalidate>
  {% csrf_token %}
  <input type="hidden" name="version" value="3">
  <div class="govuk-form-group">
    <label class="govuk-label" for="note">Evidence</label>
    <textarea class="govuk-textarea" id="note" name="note" rows="3"></textarea>
  </div>
  <div class="govuk-form-group">
    <fieldset class="govuk-fieldset">
      <legend class="govuk-fieldset__legend">Sufficient?</legend>
      <div class="govuk-radios" data-module="govuk-radios">
        <div class="govuk-radios__item">
          <input class="govuk-radios__input" id="answer" name="answer" type="radio" value="yes">
          <label class="govuk-label govuk-radios__label" for="answer">Yes</label>
        </div>
        <div class="govuk-radios__item">
          <input class="govuk-radios__input" id="answer-2" name="answer" type="radio" value="no">
          <label class="govuk-label govuk-radios__label" for="answer-2">No</label>
        </div>
      </div>
    </fieldset>
  </div>
  <button type="submit" class="govuk-button" data-module="govuk-button">Save</button>
</form>
{% endblock %}
"""


def draft(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return JsonResponse({key: request.POST.get(key) for key in ("version", "note", "answer")})
    template = engines["django"].from_string(DRAFT_PAGE)
    return HttpResponse(template.render({}, request))


urlpatterns = [path("test/draft/", draft), *project_urlpatterns]
