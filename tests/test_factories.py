"""The factories build real, consistent records through the services."""
from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.profiles.services import list_publish_shortfalls


def test_make_output_and_make_need_publish_by_default(make_output, make_need):
    output, need = make_output(), make_need()
    assert (output.status, need.status) == ("published", "published")
    assert output.published_at is not None and need.published_at is not None
    assert list_publish_shortfalls(output) == [] and list_publish_shortfalls(need) == []


def test_make_output_takes_overrides_status_and_owner(make_output, make_user):
    owner = make_user(Role.INSTITUTION)
    output = make_output(owner=owner, status="withdrawn", trl=8, title="飞秒激光微孔加工工艺")
    assert (output.status, output.trl, output.title) == ("withdrawn", 8, "飞秒激光微孔加工工艺")
    assert output.institution is owner.institution and output.created_by is owner


def test_make_user_joins_a_given_organisation_and_signs_in(make_user, make_institution,
                                                          sign_in):
    org = make_institution()
    user = make_user(Role.INSTITUTION, organisation=org)
    assert user.institution is org and user.status == "active"
    assert permissions.member_of_institution(user, org.id)
    assert sign_in(user).get("/account").status_code == 200


def test_make_broker_and_inactive_accounts(make_broker, make_user):
    broker = make_broker()
    assert broker.broker is not None and permissions.is_broker(broker)
    disabled = make_user(Role.ENTERPRISE, status="disabled")
    assert permissions.role_of(disabled) is None
