"""How much memory does `binome import` take for a large file?

    .venv/bin/python -m bench.import_memory --rows 100000 --json out.json
    .venv/bin/python -m bench.import_memory --rows 2000

It writes a realistic CSV file into a temporary directory (pairs of a mentor's row and a mentee's row,
the columns of docs/csv-import.md, unique e-mail addresses and phones, accented names drawn from short
lists so that many people share a name, two or three coordinators), creates a fresh migrated SQLite database
with one programme, then runs two child processes, one after the other:

- `import`: `python -m bot import FILE --program Bench`, the coordinator's command;
- `baseline`: a child that imports the same modules (bot.cli), opens the same database, finds the
  programme and reads the same file with the csv module, row by row, doing nothing else.

For each it reports the peak resident memory (`ru_maxrss` of that child alone, from `os.wait4`) and
the wall time; then the rows imported, counted in the database afterwards. The figure to judge is the
import's peak minus the baseline's (what the import itself holds). Nothing is asserted: it measures.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROGRAMME = "Bench"
HEADER = ["binôme", "rôle", "prénom", "nom", "langue", "téléphone", "courriel", "entreprise", "fuseau horaire",
          "début"]
FIRST_NAMES = ["François", "Zoé", "Hélène", "Jérôme", "Maëlle", "Benoît", "Amina", "Léa", "Noël", "Inès",
               "Chloé", "Théo", "Éloïse", "Raphaël", "Anaïs", "Loïc", "Bérénice", "Céline", "Mathéo", "Yasmine",
               "Grégoire", "Agnès", "Jérémy", "Océane", "Anouk", "Sébastien", "Ségolène", "Joël", "Nour", "Émile"]
LAST_NAMES = ["Lefèvre", "Garçon", "Benoît", "Çelik", "Dupré", "Müller", "Ngoma", "Leclercq", "Fès", "Brûlé",
              "Renée", "Moreau", "Petit", "Bouchard", "Lemaître", "Hébert", "Gauthier", "Ferré", "Janssens",
              "Peeters", "El Amrani", "Dubois", "Mercier", "Bélanger", "Côté", "Girard", "Rousseau", "Faure"]
EMPLOYERS = ["Boulangerie Crème", "Société Générale", "Mairie de Saint-Étienne", "Hôpital Érasme", "", "",
             "Crèche Les Lucioles", "Atelier Brûlé & Fils", "Université de Liège"]
LANGUAGES = ["fr", "fr", "fr", "", "", "en", "français", "anglais"]
TIMEZONES = ["", "", "", "Europe/Paris", "Europe/Brussels"]
CHILD_BASELINE = """
import csv, sys
import bot.cli  # the modules `binome import` loads
from sqlmodel import select
from storage import db
from storage.models import Programme
engine = db.make_engine(sys.argv[1])
with db.session_scope(engine) as session:
    programme = session.exec(select(Programme).where(Programme.name == sys.argv[3])).one()
    with open(sys.argv[2], encoding="utf-8-sig", newline="") as file:
        rows = sum(1 for _ in csv.reader(file, delimiter=";"))
print(rows)
"""


def write_csv(path: Path, rows: int, seed: int = 19) -> int:
    """`rows` rows (two or three coordinators first, then pairs of a mentor and a mentee); the count."""
    chooser = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(HEADER)
        for index in range(min(3 if rows % 2 else 2, rows)):  # the rest is whole pairs
            writer.writerow(["", "coordinatrice", chooser.choice(FIRST_NAMES), chooser.choice(LAST_NAMES), "fr",
                             f"01 23 45 {index:02d} 00", f"coordination{index}@exemple.fr",
                             "Association Binôme", "", ""])
            written += 1
        pair = 0
        while written < rows:
            pair += 1
            start = f"{chooser.randint(1, 28):02d}/{chooser.randint(9, 12):02d}/2025" if pair % 3 else ""
            for role in ("mentor", "mentorée"):
                if written >= rows:
                    break
                first, last = chooser.choice(FIRST_NAMES), chooser.choice(LAST_NAMES)
                number = 600_000_000 + written
                writer.writerow([
                    f"B{pair:06d}", role, first, last, chooser.choice(LANGUAGES),
                    f"0{number // 100_000_000} {number // 1_000_000 % 100:02d} {number // 10_000 % 100:02d} "
                    f"{number // 100 % 100:02d} {number % 100:02d}",
                    f"{first.lower()}.{last.lower().replace(' ', '')}.{written}@exemple.fr",
                    chooser.choice(EMPLOYERS), chooser.choice(TIMEZONES), start,
                ])
                written += 1
    return written


def _run_child(args: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run one child; its own peak RSS (os.wait4 gives that child's rusage alone) and wall time."""
    out_path, err_path = cwd / "child.out", cwd / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:  # files, not pipes: nothing to drain
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # reaps it: Popen is not asked to wait again
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit_code": process.returncode, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "wall_s": round(wall, 2),
            "stdout_tail": out_path.read_text(encoding="utf-8", errors="replace")[-400:],
            "stderr_tail": err_path.read_text(encoding="utf-8", errors="replace")[-400:]}


def _count(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("participant", "binome")}


def measure(rows: int, workdir: Path) -> dict:
    csv_path = workdir / "bench.csv"
    generated = write_csv(csv_path, rows)
    database = workdir / "bench.sqlite3"
    url = f"sqlite:///{database}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_", "DEFAULT_", "LOG_", "WEBHOOK_", "BINOME_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(Path.cwd()))
    for setup in (["db", "upgrade"], ["program", "create", PROGRAMME]):
        done = subprocess.run([sys.executable, "-m", "bot", *setup], env=env, cwd=workdir, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"setup {' '.join(setup)} failed: {done.stderr.decode()[-400:]}")
    baseline = _run_child([sys.executable, "-c", CHILD_BASELINE, url, str(csv_path), PROGRAMME], env, workdir)
    imported = _run_child([sys.executable, "-m", "bot", "import", str(csv_path), "--program", PROGRAMME],
                          env, workdir)
    counted = _count(database)
    return {
        "rows_generated": generated,
        "file_mb": round(csv_path.stat().st_size / 2 ** 20, 1),
        "rows_imported": counted["participant"],
        "binomes_imported": counted["binome"],
        "import": imported,
        "baseline": baseline,
        "import_minus_baseline_mb": round(imported["peak_rss_mb"] - baseline["peak_rss_mb"], 1),
        "import_over_baseline": round(imported["peak_rss_mb"] / baseline["peak_rss_mb"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the figures there too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="binome-import-") as tmp:
        result = measure(args.rows, Path(tmp))
    print(f"{result['rows_generated']} rows ({result['file_mb']} MB), {result['rows_imported']} participants and "
          f"{result['binomes_imported']} binômes imported")
    print(f"{'child':<10} {'peak RSS':>10} {'wall':>8} {'exit':>5}")
    for name in ("baseline", "import"):
        child = result[name]
        print(f"{name:<10} {child['peak_rss_mb']:>7.1f} MB {child['wall_s']:>6.2f} s {child['exit_code']:>5}")
    print(f"import - baseline: {result['import_minus_baseline_mb']} MB "
          f"(x{result['import_over_baseline']} the baseline's peak)")
    if result["import"]["exit_code"] != 0:
        print(result["import"]["stderr_tail"] or result["import"]["stdout_tail"], file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
