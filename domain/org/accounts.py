"""People: creating users, checking passwords, server-side sessions and API tokens."""
import datetime
import functools
import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from domain.common.clock import now_local
from models import ROLES, ApiToken, BuiltOnce, Department, Org, User, UserSession, audit

# Which kind of org each role belongs to (design section 3).
ROLE_ORG_KIND = {"surveyor": "community", "street": "street", "district": "district", "city": "city"}


@functools.lru_cache(maxsize=4)
def _dummy_hash(method):
    """A hash of the configured strength, checked against when the username is unknown: a miss then takes as
    long as a wrong password (a cheaper dummy told which usernames exist). Made once per method, when first
    needed."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


class AccountError(ValueError):
    pass


def create_user(username, role, org_code, password, hash_method, display_name=""):
    """A new user of a role at an org (a department code for role `department`)."""
    if role not in ROLES:
        raise AccountError(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    if not username or len(username) > 64:
        raise AccountError("用户名不能为空，最多 64 个字符")
    if User.select().where(User.username == username).exists():
        raise AccountError(f"用户名已存在：{username}")
    if not password or len(password) < 8:
        raise AccountError("密码至少 8 位")
    org = department = None
    if role == "department":
        department = Department.get_or_none(Department.code == org_code)
        if department is None:
            raise AccountError(f"没有这个部门代码：{org_code}")
    else:
        org = Org.get_or_none(Org.code == org_code)
        if org is None:
            raise AccountError(f"没有这个组织代码：{org_code}")
        if org.kind != ROLE_ORG_KIND[role]:
            raise AccountError(f"角色 {role} 应属于 {ROLE_ORG_KIND[role]}，而 {org_code} 是 {org.kind}")
    return User.create(username=username, role=role, org=org, department=department, display_name=display_name,
                       password_hash=generate_password_hash(password, method=hash_method))


def authenticate(username, password, hash_method):
    """The active user with this username and password, or None. Every answer costs one check of a hash of
    `hash_method` (the configured one), whether the user exists, is inactive or not, so that timing tells
    nothing about the username."""
    user = User.get_or_none(User.username == username)
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


MIN_PASSWORD_LENGTH = 8


def change_password(user, current, new, again, hash_method):
    """Set a new password for `user` who proved the current one; the user's other sessions end (a phone left
    logged in somewhere is logged out). Returns errors keyed by form field, empty when changed."""
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = "当前密码不正确"
    if len(new or "") < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"新密码至少 {MIN_PASSWORD_LENGTH} 位"
    elif new == current:
        errors["new_password"] = "新密码不能与当前密码相同"
    if not errors.get("new_password") and new != again:
        errors["new_password_again"] = "两次输入的新密码不一致"
    if errors:
        return errors
    user.password_hash = generate_password_hash(new, method=hash_method)
    user.save(only=[User.password_hash])
    UserSession.delete().where((UserSession.user == user) & (UserSession.key != user.session_key)).execute()
    audit(user, "change_password", user)
    return {}


def start_session(user):
    user.session_key = UserSession.create(user=user).key
    return user


def user_for_session(key, max_age_seconds):
    """The user of a live server-side session; sessions end after `max_age_seconds` whatever the cookie says."""
    oldest = now_local() - datetime.timedelta(seconds=max_age_seconds)
    row = (UserSession.select(UserSession, User).join(User)
           .where((UserSession.key == key) & (User.active == True) & (UserSession.created_at > oldest))  # noqa: E712
           .first())
    if row is None:
        return None
    user = row.user
    user.session_key = key
    return user


def end_session(key):
    UserSession.delete().where(UserSession.key == key).execute()


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user, name=""):
    """A new API token for the user; returns (row, token). Only the hash is kept: show the token once."""
    token = "pm_" + secrets.token_urlsafe(32)
    row = ApiToken.create(user=user, name=name, token_hash=_digest(token), prefix=token[:8])
    return row, token


# The user of a live token, with the token's id and last use: asked on every API call (models.BuiltOnce).
_TOKEN_USER = BuiltOnce(lambda digest: (
    User.select(User, ApiToken.id.alias("token_id"), ApiToken.last_used_at.alias("token_used_at"))
    .join(ApiToken, on=(ApiToken.user == User.id))
    .where((ApiToken.token_hash == digest) & ApiToken.revoked_at.is_null() & (User.active == True))  # noqa: E712
    .limit(1)), "\x00digest")


def user_for_token(token):
    found = _TOKEN_USER.rows(User, _digest(token))
    if not found:
        return None
    user, now = found[0], now_local()
    last_used = ApiToken.last_used_at.python_value(user.token_used_at)
    # Note the use at most every few minutes: a write per API call would be a write on every sync.
    if last_used is None or (now - last_used).total_seconds() > 300:
        ApiToken.update(last_used_at=now).where(ApiToken.id == user.token_id).execute()
    return user


def revoke_token(user, token_id):
    return (ApiToken.update(revoked_at=now_local())
            .where((ApiToken.id == token_id) & (ApiToken.user == user) & ApiToken.revoked_at.is_null())
            .execute())
