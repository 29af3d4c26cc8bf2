"""The `emotipal` command line.

emotipal serve [--port 8000]     development web server
emotipal serve --production [GUNICORN OPTIONS]   production: deploy_prepare, then gunicorn (docs/deploy.md)
emotipal deploy_prepare          migrate and collect the static files (what serve --production runs first)
emotipal readiness               the /readyz checks from the command line: exits 1 when not ready
emotipal worker [--batch]        task worker (database queue, or RQ when REDIS_URL is set)
emotipal load_demo               the library, the questionnaires and the demo clinic (once; never in production)
emotipal sync_library            load exercise templates from emotipal/library/exercises/*.yaml
emotipal load_vignettes          build and store the simulated training vignettes (once; again after a builder change)
emotipal instruments list|sync   questionnaires (PHQ-9, GAD-7, skills confidence and clinics' own)
emotipal instruments import-redcap FILE.csv [--clinic SLUG]    import a REDCap data dictionary
emotipal instruments export-redcap NAME > FILE.csv             export one as a REDCap data dictionary
emotipal export compliance --out FILE.csv                      every compliance figure, labelled
emotipal export fhir --out FILE.json [--fhir-version R5]       questionnaires, responses, scores (FHIR Bundle)
emotipal research export --study SLUG --out DIR               a study's de-identified export, every format
emotipal settle_mrt_outcomes     micro-randomised trials: settle the proximal outcome of past decision points
emotipal audit_verify [--no-seal] seal the audit trail and check its chain; names the first row changed or deleted
emotipal axes_list_attempts      failed logins being counted: e-mail address, client address, failures
emotipal axes_reset_username EMAIL  lift a login lockout (axes_reset_ip IP: of a client address; axes_reset: all)
emotipal rotate_field_keys       re-encrypt every encrypted field with the first of EMOTIPAL_FIELD_KEYS
emotipal backup --out FILE       the whole database, encrypted with EMOTIPAL_BACKUP_KEY (see README, Backups)
emotipal restore FILE            a backup into an empty database; checks row counts, encrypted fields, audit chain
emotipal simulate --clients N --weeks W --true-r R --halo H --therapist-sd SD --seed S --out DIR
                                 data set with known truth (R: the reference figure's correlation)
emotipal analyse DIR [--format json|text] [--html report.html] compliance-outcome analysis of a data set
emotipal meta FILE.csv --r COL --n COL | --yi COL --vi COL [--method REML|DL|PM|EE] [--moderator COL]
                                 meta-analysis (matches R's metafor on the BCG trials)
emotipal <any Django command>    migrate, createsuperuser, makemessages, ...

simulate, analyse and meta need no database. `emotipal COMMAND --help` shows a command's options.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = args[0], args[1:]
    # The pure analysis commands run without Django, so they work on any exported data set.
    if command == "simulate":
        from emotipal.analysis.simulate import main as simulate_main

        return simulate_main(rest)
    if command == "analyse":
        from emotipal.analysis.analyse_cli import main as analyse_main

        return analyse_main(rest)
    if command == "meta":
        from emotipal.analysis.meta.cli import main as meta_main

        return meta_main(rest)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emotipal.platform.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads the settings, where a refused configuration raises)
    except ImproperlyConfigured as refused:
        # The reason and the fix, without a traceback through Django's settings loader around it.
        print(f"emotipal: {refused}", file=sys.stderr)
        return 1

    if command == "serve" and rest[:1] == ["--production"]:
        return serve_production(rest[1:])
    if command == "serve":
        port = os.environ.get("PORT", "8000")
        if rest[:1] == ["--port"] and len(rest) > 1:
            port, rest = rest[1], rest[2:]
        execute_from_command_line(["emotipal", "runserver", f"127.0.0.1:{port}", "--noreload", *rest])
        return 0
    execute_from_command_line(["emotipal", command, *rest])
    return 0


GUNICORN_CONFIG = "python:emotipal.platform.gunicorn_conf"


def serve_production(gunicorn_options: list[str]) -> int:
    """Migrate and collect the static files, then become gunicorn (exec: the service manager's signals and
    exit status are gunicorn's own)."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    if not settings.PRODUCTION:
        print("emotipal serve --production needs EMOTIPAL_ENV=production (docs/deploy.md).", file=sys.stderr)
        return 2
    call_command("deploy_prepare")
    sys.stdout.flush()
    argv = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, *gunicorn_options, "emotipal.wsgi"]
    os.execv(sys.executable, argv)  # noqa: S606  # nosec B606 (our own interpreter, fixed arguments)


if __name__ == "__main__":
    sys.exit(main())
