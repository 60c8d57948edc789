"""Routes of the backups resource (admin only; docs/backups.md)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine
from .schemas import BackupListSchema, BackupSchema, VerificationSchema

blp = Blueprint("backups", __name__, "Backups of the whole configuration database")


@blp.route("/backups")
class Backups(MethodView):
    @blp.requires("admin")
    @blp.response(200, BackupListSchema)
    def get(self):
        """The backups in the server's backup directory, newest first"""
        return {"backups": engine().list_backups()}

    @blp.requires("admin", writes=True)
    @blp.response(201, BackupSchema)
    def post(self):
        """Take a backup now, into the server's backup directory"""
        return engine().create_backup(user=current_user())


@blp.route("/backups/<backup_id>/verify")
class Verify(MethodView):
    @blp.requires("admin", writes=True)
    @blp.response(200, VerificationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, backup_id):
        """Check a backup's checksums, then restore it into a scratch database and compare
        its state hash with the manifest's"""
        return engine().verify_backup(backup_id)
