"""Every delivery endpoint is in the OpenAPI document with a summary and guarded by a role."""


def test_delivery_endpoints_are_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {("/me/windows", "get"), ("/attempts", "post"), ("/attempts/{attempt_id}/start", "post"),
                ("/attempts/{attempt_id}/items", "get"), ("/attempts/{attempt_id}/responses/{ref}", "put"),
                ("/attempts/{attempt_id}/events", "post"), ("/attempts/{attempt_id}/submit", "post"),
                ("/attempts/{attempt_id}/check-in", "post"), ("/attempts/{attempt_id}/next", "post"),
                ("/proctor/attempts", "get"), ("/proctor/attempts/{attempt_id}/terminate", "post")}
    for path, method in expected:
        operation = paths[path][method]
        assert operation["summary"] and operation["tags"][0].startswith("delivery"), (path, method)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("delivery_api."):
            assert app.view_functions[rule.endpoint]._roles, rule.rule
