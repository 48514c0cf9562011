#!/usr/bin/env python3
"""A lot crossing from one enterprise's ledger to another's, from Python.

    python3 federated_handover.py [--lib path/to/libretrace.so.0]

Two companies keep their own ledgers: a mine and a separator. The regulator
keeps a registry ledger (one root key for all three) holding both actors'
registrations, their quota grants and a policy trusting the mine's ledger
(its checkpoint key); both enterprise ledgers are bound to the registry and
import its records, each proven in a signed registry checkpoint. (This
example's binding names no witness: the C API cosigns only through witnesses
over HTTP, retrace_ledger_checkpoint_request_cosignatures; a real registry
binding names its witnesses and a quorum.) The mine
extracts ore and ships it to the separator's ledger, signs a checkpoint and
hands over the lot's lineage bundle; the separator receives the lot with
that bundle (the ledger verifies it and stores it), separates it, signs its
own checkpoint, and proves the oxide: one bundle spanning both ledgers that
customs verifies offline with only the regulator's key and the separator's
log key. A tampered bundle is refused and leaves the ledger unchanged.
docs/federation.md has the trust model. Exit 0 on success.
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
    ap = argparse.ArgumentParser(description="Hand a lot over between two ledgers through the "
                                             "C API and verify it offline.")
    ap.add_argument("--lib", default=os.environ.get("RETRACE_LIB"),
                    help="path of libretrace.so.0 (default: $RETRACE_LIB, else the loader's "
                         "search path)")
    args = ap.parse_args()
    try:
        rt = Retrace(args.lib)
    except LibraryNotFound as e:
        print(f"federated_handover.py: {e}", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="retrace-py-fed-")
    try:
        regulator = rt.generate_key("ed25519")
        mine, sep = rt.generate_key("ed25519"), rt.generate_key("ed25519")
        mine_log = rt.generate_note_key("mine-ledger")
        sep_log = rt.generate_note_key("sep-ledger")
        reg_log = rt.generate_note_key("registry")
        year = datetime.datetime.now(datetime.timezone.utc).year
        with rt.create_ledger(os.path.join(work, "registry"), "registry", regulator,
                              sync=False) as reg:
            # The regulator's registry: who the actors are, their quotas,
            # and which logs a receiving ledger trusts.
            reg.register_actor(regulator, "mine-1", "mine", "Example Mining Co.",
                               mine.public_key_pem(), licence="C1500002011034120110001")
            reg.append(regulator, {"actorId": "regulator", "quotaGranted": {
                "actorId": "mine-1", "year": year, "kind": "QUOTA_MINING_ROCK",
                "reoG": "100000000"}})
            reg.register_actor(regulator, "sep-1", "separator", "Example Separation Co.",
                               sep.public_key_pem())
            reg.append(regulator, {"actorId": "regulator", "quotaGranted": {
                "actorId": "sep-1", "year": year, "kind": "QUOTA_SMELTING_SEPARATION",
                "reoG": "100000000"}})
            reg.append(regulator, {"actorId": "regulator", "policySet": {
                "name": "federated",
                "rules": [{"role": "ROLE_MINE", "events": ["extracted", "shipped"],
                           "outputs": ["MATERIAL_ORE_CONCENTRATE"]},
                          {"role": "ROLE_SEPARATOR",
                           "events": ["received", "transformed", "shipped"],
                           "inputs": ["MATERIAL_ORE_CONCENTRATE"],
                           "outputs": ["MATERIAL_SEPARATED_OXIDE"]}],
                "trustedLogs": [{"origin": "mine-ledger", "logKey": mine_log.verifier_key()}]}})
            reg.checkpoint_sign(reg_log)
            binding = {"log_key": reg_log.verifier_key(), "witnesses": [], "quorum": 0,
                       "ledger_id": reg.info()["ledger_id"]}
            ml = rt.create_ledger(os.path.join(work, "mine"), "mine-ledger", regulator,
                                  sync=False, registry=binding)
            sl = rt.create_ledger(os.path.join(work, "sep"), "sep-ledger", regulator,
                                  sync=False, registry=binding)
            for name, ledger in (("mine-ledger", ml), ("sep-ledger", sl)):
                n = ledger.import_registry(reg)
                print(f"{name}: imported {n} registry records with their proofs")
        with ml, sl:
            # The mine: extraction, a shipment to the separator's ledger, a
            # checkpoint, and the lot's bundle handed to the separator.
            ml.append(mine, {"actorId": "mine-1", "extracted": {
                "lot": lot("ORE-1", "MATERIAL_ORE_CONCENTRATE", 1_000_000,
                           [("ELEMENT_ND", 50_000), ("ELEMENT_PR", 15_000)]),
                "site": "Pit 3", "licence": "C1500002011034120110001",
                "quotaKind": "QUOTA_MINING_ROCK"}})
            ml.append(mine, {"actorId": "mine-1", "shipped": {
                "lotId": "ORE-1", "toActorId": "sep-1", "massG": "1000000",
                "consigneeLog": "sep-ledger"}})
            ml.checkpoint_sign(mine_log)
            bundle = ml.prove_lot("ORE-1")
            print(f"mine-ledger: ORE-1 shipped to sep-ledger, bundle of {len(bundle)} bytes")

            # The separator: a damaged bundle is refused, the ledger unchanged.
            size = sl.info()["size"]
            damaged = bytearray(bundle)
            damaged[len(damaged) // 2] ^= 0x01
            try:
                sl.receive(sep, bytes(damaged))
                print("error: a damaged bundle was received")
                return 1
            except RetraceError as e:
                print(f"damaged bundle refused: {e.name}")
            assert sl.info()["size"] == size

            seq = sl.receive(sep, bundle, event_id="GR-ORE-1")
            print(f"sep-ledger: ORE-1 received at seq {seq}")
            sl.append(sep, {"actorId": "sep-1", "transformed": {
                "inputs": [{"lotId": "ORE-1", "consumedG": "1000000"}],
                "outputs": [lot("NDPR-1", "MATERIAL_SEPARATED_OXIDE", 70_000,
                                [("ELEMENT_ND", 45_000), ("ELEMENT_PR", 13_000)])],
                "declaredLossG": str(1_000_000 - 70_000), "process": "solvent extraction"}})

            report = sl.verify("NDPR-1")
            crossed = [f"{c['origin']} (checkpoint {c['checkpoint_size']})"
                       for c in report.get("ledgers_crossed", [])]
            print(f"NDPR-1: {'VALID' if report['valid'] else 'INVALID'}, "
                  f"{report['records_checked']} records, ledgers crossed: {', '.join(crossed)}")

            # Customs: one bundle spanning both ledgers, verified offline.
            sl.checkpoint_sign(sep_log)
            customs = sl.prove_lot("NDPR-1")
            offline = rt.verify_bundle(customs, regulator.public_key_pem(),
                                       sep_log.verifier_key())
            print(f"customs bundle: {len(customs)} bytes, offline "
                  f"{'VALID' if offline['valid'] else 'INVALID'}")
            ok = (report["valid"] and [c["origin"] for c in report["ledgers_crossed"]] == ["mine-ledger"]
                  and offline["valid"] and offline["lineage"]["ledgers_crossed"][0]["origin"] == "mine-ledger"
                  and sl.lot("NDPR-1")["status"] == "held")
        for k in (regulator, mine, sep, mine_log, sep_log, reg_log):
            k.close()
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
