#!/usr/bin/env python3
"""Builds a small custody chain from Python through ctypes and verifies it.

    python3 build_and_verify.py [--lib path/to/libretrace.so.0] [--keep DIR]

A mine extracts ore and ships it to a separator, which separates it into two
oxide lots and ships one on -- the separation and that shipment in one
atomic batch -- then the lot is verified back to its mine, the ledger is
audited, and the error path is shown (a shipment of more than the lot
holds is refused with RETRACE_FAILED_PRECONDITION). Exit 0 on success.
"""
import argparse
import datetime
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from retrace_ctypes import LibraryNotFound, Retrace, RetraceError, lot  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="Build a small custody chain through the C API "
                                             "and verify it.")
    ap.add_argument("--lib", default=os.environ.get("RETRACE_LIB"),
                    help="path of libretrace.so.0 (default: $RETRACE_LIB, else the loader's "
                         "search path)")
    ap.add_argument("--keep", metavar="DIR",
                    help="build the ledger in DIR/ledger (DIR is created if missing) and keep it")
    args = ap.parse_args()

    try:
        rt = Retrace(args.lib)
    except LibraryNotFound as e:
        print(f"build_and_verify.py: {e}", file=sys.stderr)
        return 2
    print(f"retrace {rt.version} via ctypes")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        if os.path.exists(os.path.join(args.keep, "ledger")):
            print(f"build_and_verify.py: {os.path.join(args.keep, 'ledger')} exists; give "
                  "--keep a directory without a ledger in it", file=sys.stderr)
            return 2
    work = args.keep or tempfile.mkdtemp(prefix="retrace-py-")
    path = os.path.join(work, "ledger")
    try:
        root = rt.generate_key("ed25519")
        mine = rt.generate_key("ecdsa-p256")
        sep = rt.generate_key("sm2")
        smelter = rt.generate_key("ed25519")
        with rt.create_ledger(path, "python-demo", root, sync=False) as ledger:
            ledger.register_actor(root, "mine-1", "mine", "Example Mining Co.", mine.public_key_pem(),
                                  licence="C1500002011034120110001")
            ledger.register_actor(root, "sep-1", "separator", "Example Separation Co.", sep.public_key_pem())
            ledger.register_actor(root, "smelter-1", "smelter", "Example Smelting Co.", smelter.public_key_pem())
            # This year's production quotas (events are dated now), in grams of REO.
            year = datetime.datetime.now(datetime.timezone.utc).year
            for actor, kind in (("mine-1", "QUOTA_MINING_ROCK"), ("sep-1", "QUOTA_SMELTING_SEPARATION")):
                ledger.append(root, {"actorId": "regulator", "quotaGranted": {
                    "actorId": actor, "year": year, "kind": kind, "reoG": "100000000"}})

            ledger.append(mine, {
                "eventId": "WB-130534", "actorId": "mine-1",
                "references": [{"kind": "weighbridge_ticket", "value": "WB-130534"}],
                "extracted": {"lot": lot("ORE-1", "MATERIAL_ORE_CONCENTRATE", 1_000_000,
                                         [("ELEMENT_ND", 50_000), ("ELEMENT_PR", 15_000), ("ELEMENT_DY", 1_000)]),
                              "site": "Pit 3", "licence": "C1500002011034120110001",
                              "quotaKind": "QUOTA_MINING_ROCK"}})
            ledger.append(mine, {"eventId": "DN-1", "actorId": "mine-1",
                                 "shipped": {"lotId": "ORE-1", "toActorId": "sep-1", "massG": "1000000"}})
            ledger.append(sep, {"eventId": "GR-1", "actorId": "sep-1",
                                "received": {"lotId": "ORE-1", "fromActorId": "mine-1", "massG": "1000000"}})
            first, count = ledger.append_batch([
                (sep, {"eventId": "PO-1", "actorId": "sep-1", "transformed": {
                    "inputs": [{"lotId": "ORE-1", "consumedG": "1000000"}],
                    "outputs": [lot("NDPR-1", "MATERIAL_SEPARATED_OXIDE", 70_000,
                                    [("ELEMENT_ND", 45_000), ("ELEMENT_PR", 13_000)]),
                                lot("DY-1", "MATERIAL_SEPARATED_OXIDE", 1_100, [("ELEMENT_DY", 900)])],
                    "declaredLossG": str(1_000_000 - 71_100), "process": "solvent extraction"}}),
                (sep, {"eventId": "DN-2", "actorId": "sep-1",
                       "shipped": {"lotId": "NDPR-1", "toActorId": "smelter-1", "massG": "70000"}}),
            ])
            print(f"batch: {count} records from seq {first}")

            try:
                ledger.append(sep, {"actorId": "sep-1",
                                    "shipped": {"lotId": "DY-1", "toActorId": "smelter-1", "massG": "99999"}})
                print("error: an over-sized shipment was accepted")
                return 1
            except RetraceError as e:
                print(f"refused as expected: {e.name}")
                assert e.name == "failed precondition", e

            report = ledger.verify("NDPR-1")
            assert report["schema"] == "retrace.verify/v1"
            print(f"NDPR-1: {'VALID' if report['valid'] else 'INVALID'}, "
                  f"{report['records_checked']} records checked")
            for o in report["origins"]:
                print(f"  {o['share_ppm'] / 1e4:.2f} % from {o['origin_lot']} (mine {o['actor_id']}, {o['site']})")
            seen = []
            audit = ledger.audit(lambda done, total: seen.append(done))
            print(f"audit: {'VALID' if audit['valid'] else 'INVALID'}, {audit['records_checked']} records, "
                  f"{len(seen)} progress calls")
            doc = ledger.export_epcis("NDPR-1")
            print(f"EPCIS: {len(doc['epcisBody']['eventList'])} events")
            assert "digraph" in ledger.lineage_dot("NDPR-1")
            assert "<!DOCTYPE html>" in ledger.report_html("NDPR-1")
            ok = (report["valid"] and audit["valid"] and len(report["origins"]) == 1
                  and report["origins"][0]["origin_lot"] == "ORE-1"
                  and ledger.lot("NDPR-1")["status"] == "in_transit")
        # Flag mode (a regulator's choice): an extraction with no quota
        # granted is kept on the books, and its lot verifies INVALID.
        with rt.create_ledger(os.path.join(work, "flagged"), "python-flag", root, sync=False,
                              regulatory="flag") as flagged:
            flagged.register_actor(root, "mine-1", "mine", "Example Mining Co.", mine.public_key_pem(),
                                   licence="C1500002011034120110001")
            flagged.append(mine, {"actorId": "mine-1", "extracted": {
                "lot": lot("ORE-X", "MATERIAL_ORE_CONCENTRATE", 1_000, [("ELEMENT_ND", 50)]),
                "site": "Pit 9", "licence": "C1500002011034120110001", "quotaKind": "QUOTA_MINING_ROCK"}})
            flag_report = flagged.verify("ORE-X")
            print(f"flag mode: ORE-X appended without a quota, "
                  f"{'VALID' if flag_report['valid'] else 'INVALID'} "
                  f"({', '.join(f['code'] for f in flag_report['findings'])})")
            ok = ok and not flag_report["valid"]
        for k in (root, mine, sep, smelter):
            k.close()
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
