import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils.text import slugify

from lessons.materials import load_materials
from lessons.models import CaseStudy, Lesson
from tests.factories import make_lesson, make_user

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "integration-maze.json"


@pytest.fixture
def lesson():
    demo = json.loads(DEMO_FILE.read_text())
    lesson = make_lesson(title=demo["lesson_title"], slug=slugify(demo["lesson_title"]), materials=False)
    load_materials(demo)
    return lesson


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser(username="author", password="pw-for-tests-only")


@pytest.fixture
def author(client, superuser):
    client.force_login(superuser)
    return client


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
def test_it_shows_the_changelist_and_a_change_page_of_every_registered_model(author, lesson):
    Group.objects.create(name="Authors")
    for model in admin.site._registry:
        assert author.get(_admin_url(model, "changelist")).status_code == 200, model.__name__
        assert author.get(_admin_url(model, "add")).status_code == 200, model.__name__
        obj = model._default_manager.first()
        # Other apps may register models this test has no rows for; every lessons model must have one.
        assert obj is not None or model._meta.app_label != "lessons", f"no {model.__name__} to open"
        if obj is not None:
            assert author.get(_admin_url(model, "change", obj.pk)).status_code == 200, model.__name__


@pytest.mark.django_db
def test_it_registers_the_models_an_author_needs():
    registered = {model.__name__ for model in admin.site._registry}

    expected = {"Lesson", "OpsDomain", "ObstacleCategory", "CaseStudy", "ActionPlanField", "RubricCriterion"}
    assert expected <= registered
    assert admin.site.site_header == "Phasewise authoring"


@pytest.mark.django_db
def test_it_edits_a_lesson_with_all_its_sections_inline(author, lesson):
    response = author.get(_admin_url(Lesson, "change", lesson.pk))

    html = response.content.decode()
    for prefix in ["objectives", "phases", "items", "assessments", "audiences"]:
        assert f'name="{prefix}-TOTAL_FORMS"' in html
    assert 'name="phases-0-order"' in html
    assert '<textarea name="phases-0-facilitator_actions"' in html
    assert f'href="{lesson.get_absolute_url()}"' in html
    assert f"/lessons/{lesson.slug}/" in html


@pytest.mark.django_db
def test_it_offers_the_add_lesson_page(author):
    response = author.get(_admin_url(Lesson, "add"))

    assert response.status_code == 200
    assert 'name="phases-TOTAL_FORMS"' in response.content.decode()


@pytest.mark.django_db
def test_it_filters_case_studies_by_complexity_category_and_published(author, lesson):
    CaseStudy.objects.filter(slug="two-operating-models-one-hospital-group").update(published=False)
    url = _admin_url(CaseStudy, "changelist")
    silos = lesson.categories.get(slug="organizational-silos")

    advanced = author.get(url, {"complexity__exact": "advanced"}).context["cl"].result_list
    with_silos = author.get(url, {"categories__id__exact": silos.pk}).context["cl"].result_list
    drafts = author.get(url, {"published__exact": "0"}).context["cl"].result_list

    assert {c.slug for c in advanced} == {
        "the-genai-platform-that-outgrew-its-budget",
        "two-operating-models-one-hospital-group",
    }
    assert {c.slug for c in with_silos} == {
        "the-forecast-that-went-quiet",
        "one-churn-model-three-owners",
        "the-genai-platform-that-outgrew-its-budget",
    }
    assert [c.slug for c in drafts] == ["two-operating-models-one-hospital-group"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Meridian", "claims-triage-on-hold"),  # organization
        ("outgrew", "the-genai-platform-that-outgrew-its-budget"),  # title
        ("units_shipped", "the-forecast-that-went-quiet"),  # scenario
    ],
)
def test_it_searches_case_studies(author, lesson, query, slug):
    response = author.get(_admin_url(CaseStudy, "changelist"), {"q": query})

    assert [c.slug for c in response.context["cl"].result_list] == [slug]


@pytest.mark.django_db
def test_it_links_the_preview_from_the_changelist_and_the_change_page(author, lesson):
    case = lesson.case_studies.first()
    preview_url = reverse("admin:lessons_casestudy_preview", args=[case.pk])

    assert preview_url in author.get(_admin_url(CaseStudy, "changelist")).content.decode()
    assert preview_url in author.get(_admin_url(CaseStudy, "change", case.pk)).content.decode()


@pytest.mark.django_db
def test_it_previews_a_case_study_as_learners_see_it(author, lesson):
    case = lesson.case_studies.get(slug="the-forecast-that-went-quiet")

    response = author.get(reverse("admin:lessons_casestudy_preview", args=[case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="case-title">The forecast that went quiet</h2>' in html
    assert "<strong>demand-forecasting model</strong>" in html
    assert "<code>units_shipped</code>" in html
    assert "Introductory" in html
    assert "Organizational silos" in html and "Cost visibility and accountability" in html
    for question in case.questions.all():
        assert question.text.replace("'", "&#x27;") in html


@pytest.mark.django_db
def test_it_strips_scripts_from_the_preview(author, lesson):
    case = CaseStudy.objects.create(
        lesson=lesson,
        slug="hostile",
        title="<script>alert('title')</script>Hostile",
        organization='<img src=x onerror="alert(1)">',
        scenario="Intro\n\n<script>alert('scenario')</script>\n\n<p onmouseover=\"alert(2)\">Body</p>",
    )
    case.questions.create(order=0, text="<script>alert('question')</script>?")

    html = author.get(reverse("admin:lessons_casestudy_preview", args=[case.pk])).content.decode()

    assert "<script>alert(" not in html
    assert "onmouseover" not in html
    assert "alert('scenario')" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;Hostile" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<p>Body</p>" in html
    assert "Not published yet" in html


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_case_study_preview(author):
    assert author.get(reverse("admin:lessons_casestudy_preview", args=[999])).status_code == 404


@pytest.mark.django_db
def test_it_needs_view_permission_for_the_preview(client, lesson):
    staff = make_user(username="helper", staff=True)
    client.force_login(staff)
    url = reverse("admin:lessons_casestudy_preview", args=[lesson.case_studies.first().pk])

    assert client.get(url).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_casestudy"))
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_it_sends_non_staff_users_to_the_login_page(client, lesson):
    client.force_login(make_user(username="learner", staff=False))
    case = lesson.case_studies.first()

    for url in [
        reverse("admin:index"),
        _admin_url(Lesson, "change", lesson.pk),
        _admin_url(CaseStudy, "changelist"),
        reverse("admin:lessons_casestudy_preview", args=[case.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


@pytest.mark.django_db
def test_it_offers_only_the_lessons_own_domains_and_categories(author, lesson):
    other = make_lesson(slug="other-lesson")  # has its own DataOps, MLOps, FinOps and categories
    category = lesson.categories.first()
    case = lesson.case_studies.first()

    category_form = author.get(_admin_url(type(category), "change", category.pk)).context["adminform"].form
    case_form = author.get(_admin_url(CaseStudy, "change", case.pk)).context["adminform"].form

    assert set(category_form.fields["domains"].queryset) == set(lesson.domains.all())
    assert set(case_form.fields["categories"].queryset) == set(lesson.categories.all())
    assert not set(case_form.fields["categories"].queryset) & set(other.categories.all())
