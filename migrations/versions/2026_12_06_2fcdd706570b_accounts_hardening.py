"""accounts hardening: server-side sign-in sessions, explicit requests to join an existing
organisation, privacy consent and account deletion

- user_sessions: one row per signed-in browser; the cookie holds a random token, the table its
  SHA-256. Revoking the row ends the session and the remember-me cookie.
- join_requests: a sign-up naming an organisation that already exists (or a look-alike of it)
  is no longer attached to it; it asks to join, and a member or an operator decides.
- users: the CHECK constraints no longer force an institution/enterprise account to have its
  organisation from the start (a new account may be waiting for its join request); they now
  say that only those roles have one and that an *active* account always has it. New columns
  record the privacy consent (time, notice version), the last password change and deletion.

Revision ID: 2fcdd706570b
Revises: a2aae1643a12
Create Date: 2026-12-06 04:19:06.323390

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '2fcdd706570b'
down_revision = 'a2aae1643a12'
branch_labels = None
depends_on = None

NEW_USER_CHECKS = {
    'institution_only_for_institutions': "role = 'institution' OR institution_id IS NULL",
    'enterprise_only_for_enterprises': "role = 'enterprise' OR enterprise_id IS NULL",
    'active_institution_has_org':
        "role <> 'institution' OR status <> 'active' OR institution_id IS NOT NULL",
    'active_enterprise_has_org':
        "role <> 'enterprise' OR status <> 'active' OR enterprise_id IS NOT NULL",
    'deleted_is_disabled': "deleted_at IS NULL OR status = 'disabled'",
}
OLD_USER_CHECKS = {
    'institution_matches_role': "(role = 'institution') = (institution_id IS NOT NULL)",
    'enterprise_matches_role': "(role = 'enterprise') = (enterprise_id IS NOT NULL)",
}


def upgrade():
    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('requested_name', sa.String(length=120), nullable=False),
    sa.Column('requested_type', sa.String(length=20), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('similarity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f('ck_join_requests_decided_once')),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'declined', 'separate')", name=op.f('ck_join_requests_status_known')),
    sa.CheckConstraint('(institution_id IS NULL) <> (enterprise_id IS NULL)', name=op.f('ck_join_requests_one_organisation')),
    sa.CheckConstraint('similarity BETWEEN 0 AND 100', name=op.f('ck_join_requests_similarity_range')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_join_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_join_requests_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_join_requests_institution_id_institutions')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_join_requests_region_id_regions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_join_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_requests_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_requests_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_requests_user_id'), ['user_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('user_agent', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('privacy_consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('privacy_notice_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        for name in OLD_USER_CHECKS:
            batch_op.drop_constraint(op.f(f'ck_users_{name}'), type_='check')
        for name, condition in NEW_USER_CHECKS.items():
            batch_op.create_check_constraint(op.f(f'ck_users_{name}'), condition)


def downgrade():
    # The old schema cannot hold an institution or enterprise account without its organisation,
    # and attaching such an account to the organisation it asked to join is exactly what this
    # revision stopped. Those accounts never signed in (an active account always has its
    # organisation), so they own nothing: they are removed with their join requests.
    op.execute("DELETE FROM users WHERE (role = 'institution' AND institution_id IS NULL) "
               "OR (role = 'enterprise' AND enterprise_id IS NULL)")
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in NEW_USER_CHECKS:
            batch_op.drop_constraint(op.f(f'ck_users_{name}'), type_='check')
        for name, condition in OLD_USER_CHECKS.items():
            batch_op.create_check_constraint(op.f(f'ck_users_{name}'), condition)
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('privacy_notice_version')
        batch_op.drop_column('privacy_consent_at')
        batch_op.drop_column('password_changed_at')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_join_requests_institution_id'))
        batch_op.drop_index(batch_op.f('ix_join_requests_enterprise_id'))

    op.drop_table('join_requests')
