"""The standard-setting pages: only staff reach them; a bookmark panel runs through forms."""
from __future__ import annotations

from piaa.delivery.parameters import record_parameter_set


def test_only_psychometricians_and_administrators_reach_the_pages(client, make_user, login_as):
    login_as(make_user(role="candidate"))
    assert client.get("/standard-setting").status_code == 403


def test_a_bookmark_panel_through_the_pages(session, client, make_user, login_as, competency, operational,
                                            make_assessment):
    record_parameter_set(session, competency, "2pl",
                         {item.id: [1.0, (item.level - 3) * 0.8 + 0.01 * k, 0.0, 1.0]
                          for k, item in enumerate(operational)})
    session.commit()
    assessment = make_assessment("loft", certifying_level=3)
    login_as(make_user(role="psychometrician"))
    page = client.get("/standard-setting").get_data(as_text=True)
    assert assessment.code in page
    response = client.post("/standard-setting/start", data={"assessment_id": assessment.id, "method": "bookmark",
                                                            "rp": "0.67", "panellists": "Asha\nRavi\n"})
    assert response.status_code == 302
    url = response.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert 'id="booklet"' in page and 'id="page-40"' in page
    for name_pages in ([5, 12, 20, 28, 36], [7, 14, 21, 29, 35]):
        panellist = 1 if name_pages[0] == 5 else 2
        client.post(f"{url}/ratings", data={"panellist_id": panellist,
                                            **{f"level-{k}": p for k, p in zip(range(1, 6), name_pages)}})
    page = client.get(url).get_data(as_text=True)
    assert 'id="panel-cuts"' in page and 'id="apply"' in page
    bad = client.post(f"{url}/ratings", data={"panellist_id": 1, "level-1": 50, "level-2": 3, "level-3": 4,
                                              "level-4": 5, "level-5": 6}, follow_redirects=True)
    assert "pages run from 2 to 40" in bad.get_data(as_text=True)
    client.post(f"{url}/apply", data={"note": "two panellists"})
    session.expire_all()
    assert assessment.theta_cuts_standard_setting_id is not None
    hindi = client.get(f"{url}?lang=hi").get_data(as_text=True)
    assert "पैनल के कट स्कोर" in hindi
