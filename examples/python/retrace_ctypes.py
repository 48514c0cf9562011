"""retrace from Python through ctypes: a small, complete wrapper of the C API.

    from retrace_ctypes import Retrace
    rt = Retrace("/usr/local/lib/libretrace.so.0")
    root = rt.generate_key("ed25519")
    with rt.create_ledger("/tmp/chain", "demo", root) as ledger:
        ledger.register_actor(root, "mine-1", "mine", "Mine One", mine_key.public_key_pem())
        ledger.append(mine_key, {"actorId": "mine-1", "extracted": {...}})
        report = ledger.verify("ORE-1")        # a dict, schema retrace.verify/v1

Every failing call raises RetraceError with the library's code and message
(retrace_strerror / retrace_last_error). Buffers the library returns are
copied into Python objects and released with retrace_free at once; handles
are released by close() or the context manager. Only the standard library is
used.
"""
import ctypes
import json
import os

OK = 0


def lot(lot_id, material, mass_g, content):
    """A lot as the event JSON states it: content is [(element, grams), ...],
    e.g. lot("ORE-1", "MATERIAL_ORE_CONCENTRATE", 1_000_000, [("ELEMENT_ND", 50_000)])."""
    return {"lotId": lot_id, "material": material, "massG": str(mass_g),
            "content": [{"element": e, "grams": str(g)} for e, g in content]}


class RetraceError(Exception):
    """A retrace call failed: .code is the RETRACE_* value, .name its name."""

    def __init__(self, code, name, message, call):
        super().__init__(f"{call}: {name}: {message}")
        self.code = code
        self.name = name
        self.message = message


class LibraryNotFound(Exception):
    """libretrace could not be loaded from the path given (or the default)."""

    def __init__(self, path, cause):
        super().__init__(
            f"cannot load the retrace library {path!r}: {cause}. Give its path with --lib "
            "(e.g. --lib build/libretrace.so.0 in a build tree) or set RETRACE_LIB; an "
            "installed library is found as libretrace.so.0 when its directory is on the "
            "loader's path (ldconfig, or LD_LIBRARY_PATH)")
        self.path = path


_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_u8_p = ctypes.POINTER(ctypes.c_uint8)


class Retrace:
    """The loaded library. One per process is enough."""

    def __init__(self, path=None):
        path = path or os.environ.get("RETRACE_LIB", "libretrace.so.0")
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryNotFound(path, e) from None
        self._lib = lib
        vp, cp, sz, u64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64
        pvp, psz, pu64 = ctypes.POINTER(vp), ctypes.POINTER(sz), ctypes.POINTER(u64)
        pbuf = ctypes.POINTER(vp)  # char** / uint8_t** out buffers, kept as void*
        sigs = {
            "retrace_strerror": (cp, [ctypes.c_int]),
            "retrace_last_error": (cp, []),
            "retrace_free": (None, [vp]),
            "retrace_version": (cp, []),
            "retrace_signer_generate": (ctypes.c_int, [cp, pvp]),
            "retrace_signer_load": (ctypes.c_int, [cp, pvp]),
            "retrace_signer_save": (ctypes.c_int, [vp, cp]),
            "retrace_signer_public_key": (ctypes.c_int, [vp, pvp]),
            "retrace_signer_free": (None, [vp]),
            "retrace_public_key_from_pem": (ctypes.c_int, [cp, sz, pvp]),
            "retrace_public_key_pem": (ctypes.c_int, [vp, pbuf, psz]),
            "retrace_public_key_id": (ctypes.c_int, [vp, ctypes.c_char * 17]),
            "retrace_public_key_free": (None, [vp]),
            "retrace_options_new": (vp, []),
            "retrace_options_free": (None, [vp]),
            "retrace_options_set_sync": (None, [vp, ctypes.c_int]),
            "retrace_options_set_read_only": (None, [vp, ctypes.c_int]),
            "retrace_options_set_regulatory_mode": (ctypes.c_int, [vp, ctypes.c_int]),
            "retrace_options_set_registry": (ctypes.c_int, [vp, cp, _c_char_pp, sz,
                                                            ctypes.c_uint32, cp]),
            "retrace_ledger_create": (ctypes.c_int, [vp, cp, cp, vp, cp, pvp]),
            "retrace_ledger_open": (ctypes.c_int, [vp, cp, pvp]),
            "retrace_ledger_close": (None, [vp]),
            "retrace_ledger_info_json": (ctypes.c_int, [vp, pbuf, psz]),
            "retrace_ledger_lot_json": (ctypes.c_int, [vp, cp, pbuf, psz]),
            "retrace_ledger_register_actor": (ctypes.c_int, [vp, vp, cp, cp, cp, cp, vp, cp, cp, pu64]),
            "retrace_ledger_append_json": (ctypes.c_int, [vp, vp, cp, sz, pu64, ctypes.c_uint8 * 32]),
            "retrace_batch_new": (ctypes.c_int, [vp, pvp]),
            "retrace_batch_add_json": (ctypes.c_int, [vp, vp, cp, sz]),
            "retrace_batch_size": (sz, [vp]),
            "retrace_batch_commit": (ctypes.c_int, [vp, pu64, psz]),
            "retrace_batch_free": (None, [vp]),
            "retrace_ledger_lineage_json": (ctypes.c_int, [vp, cp, pbuf, psz]),
            "retrace_ledger_lineage_dot": (ctypes.c_int, [vp, cp, pbuf, psz]),
            "retrace_ledger_report_html": (ctypes.c_int, [vp, cp, pbuf, psz]),
            "retrace_ledger_verify": (ctypes.c_int, [vp, cp, pvp]),
            "retrace_ledger_audit": (ctypes.c_int, [vp, vp, vp, pvp]),
            "retrace_report_json": (ctypes.c_int, [vp, pbuf, psz]),
            "retrace_report_valid": (ctypes.c_int, [vp]),
            "retrace_report_free": (None, [vp]),
            "retrace_ledger_export_epcis_lot": (ctypes.c_int, [vp, cp, pbuf, psz]),
            # Transparency and federation (docs/federation.md).
            "retrace_note_signer_generate": (ctypes.c_int, [cp, cp, pvp]),
            "retrace_note_signer_verifier_key": (ctypes.c_int, [vp, pbuf, psz]),
            "retrace_note_signer_free": (None, [vp]),
            "retrace_note_verifier_parse": (ctypes.c_int, [cp, pvp]),
            "retrace_note_verifier_free": (None, [vp]),
            "retrace_ledger_checkpoint_sign": (ctypes.c_int, [vp, vp, pbuf, psz]),
            "retrace_ledger_prove_lot": (ctypes.c_int, [vp, cp, pbuf, psz]),
            "retrace_ledger_receive": (ctypes.c_int, [vp, vp, ctypes.c_char_p, sz, cp, sz, cp, pu64]),
            "retrace_bundle_verify": (ctypes.c_int, [ctypes.c_char_p, sz, vp, vp, pvp, sz, sz, pvp]),
            "retrace_ledger_import_registry": (ctypes.c_int, [vp, vp, u64, pu64]),
        }
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
        self.version = lib.retrace_version().decode()

    # -- plumbing ----------------------------------------------------------
    def _check(self, rc, call):
        if rc != OK:
            raise RetraceError(rc, self._lib.retrace_strerror(rc).decode(),
                               self._lib.retrace_last_error().decode("utf-8", "replace"), call)

    def _bytes(self, fn, *args):
        """Calls fn(*args, &buf, &len) and returns a copy of the buffer."""
        buf, n = ctypes.c_void_p(), ctypes.c_size_t()
        self._check(fn(*args, ctypes.byref(buf), ctypes.byref(n)), fn.__name__)
        try:
            return ctypes.string_at(buf, n.value)
        finally:
            self._lib.retrace_free(buf)

    def _text(self, fn, *args):
        """Calls fn(*args, &buf, &len) and returns the buffer as str."""
        return self._bytes(fn, *args).decode("utf-8")

    def _report(self, fn, *args):
        """Calls fn(*args, &report) and returns the report as a dict."""
        r = ctypes.c_void_p()
        self._check(fn(*args, ctypes.byref(r)), fn.__name__)
        try:
            return json.loads(self._text(self._lib.retrace_report_json, r))
        finally:
            self._lib.retrace_report_free(r)

    @staticmethod
    def _b(s):
        return None if s is None else s.encode("utf-8")

    # -- keys --------------------------------------------------------------
    def generate_key(self, algorithm="ed25519"):
        h = ctypes.c_void_p()
        self._check(self._lib.retrace_signer_generate(self._b(algorithm), ctypes.byref(h)),
                    "retrace_signer_generate")
        return Signer(self, h)

    def load_key(self, path):
        h = ctypes.c_void_p()
        self._check(self._lib.retrace_signer_load(self._b(path), ctypes.byref(h)), "retrace_signer_load")
        return Signer(self, h)

    def generate_note_key(self, name, kind="ed25519"):
        """A checkpoint (log) key named `name` -- the ledger's name, its
        checkpoint origin -- or, with kind "cosignature/v1", a witness key."""
        h = ctypes.c_void_p()
        self._check(self._lib.retrace_note_signer_generate(self._b(name), self._b(kind),
                                                           ctypes.byref(h)),
                    "retrace_note_signer_generate")
        return NoteSigner(self, h)

    def verify_bundle(self, bundle, root_public_key_pem, log_vkey, witness_vkeys=(), quorum=0):
        """Verifies a lineage bundle offline, against the regulator's key,
        the last ledger's log key and a witness quorum; the report as a dict
        (schema retrace.bundle-report/v1; "valid" says the verdict)."""
        lib = self._lib
        pem = root_public_key_pem.encode()
        root = ctypes.c_void_p()
        self._check(lib.retrace_public_key_from_pem(pem, len(pem), ctypes.byref(root)),
                    "retrace_public_key_from_pem")
        verifiers = []
        try:
            for key in [log_vkey, *witness_vkeys]:
                v = ctypes.c_void_p()
                self._check(lib.retrace_note_verifier_parse(self._b(key), ctypes.byref(v)),
                            "retrace_note_verifier_parse")
                verifiers.append(v)
            witnesses = (ctypes.c_void_p * max(1, len(verifiers) - 1))(*verifiers[1:])
            return self._report(lib.retrace_bundle_verify, bundle, len(bundle), root,
                                verifiers[0], witnesses, len(verifiers) - 1, quorum)
        finally:
            for v in verifiers:
                lib.retrace_note_verifier_free(v)
            lib.retrace_public_key_free(root)

    # -- ledgers -----------------------------------------------------------
    # What an event that breaks a quota or licence rule does: "reject" (the
    # append fails, RETRACE_FAILED_PRECONDITION) or "flag" (it is appended
    # and every lineage it reaches verifies INVALID with the finding).
    _REGULATORY = {"reject": 0, "flag": 1}

    def _options(self, sync, read_only, regulatory="reject", registry=None):
        if regulatory not in self._REGULATORY:
            raise ValueError(f"regulatory must be 'reject' or 'flag', not {regulatory!r}")
        o = self._lib.retrace_options_new()
        if not o:
            raise MemoryError("retrace_options_new")
        self._lib.retrace_options_set_sync(o, 1 if sync else 0)
        self._lib.retrace_options_set_read_only(o, 1 if read_only else 0)
        calls = [("retrace_options_set_regulatory_mode",
                  lambda: self._lib.retrace_options_set_regulatory_mode(
                      o, self._REGULATORY[regulatory]))]
        if registry is not None:
            witnesses = [self._b(w) for w in registry.get("witnesses", ())]
            arr = (ctypes.c_char_p * max(1, len(witnesses)))(*witnesses)
            calls.append(("retrace_options_set_registry",
                          lambda: self._lib.retrace_options_set_registry(
                              o, self._b(registry["log_key"]), arr, len(witnesses),
                              registry.get("quorum", 0), self._b(registry["ledger_id"]))))
        for call, fn in calls:
            rc = fn()
            if rc != 0:
                self._lib.retrace_options_free(o)
                self._check(rc, call)
        return o

    def create_ledger(self, path, name, root, root_actor="regulator", sync=True,
                      regulatory="reject", registry=None):
        """A new ledger. `registry`, if given, binds it to the regulator's
        registry ledger: {"log_key": its checkpoint verifier key, "witnesses":
        [witness verifier keys], "quorum": n, "ledger_id": its ledger id}
        (docs/federation.md, "The registry")."""
        o = self._options(sync, False, regulatory, registry)
        h = ctypes.c_void_p()
        try:
            self._check(self._lib.retrace_ledger_create(o, self._b(path), self._b(name), root._h,
                                                        self._b(root_actor), ctypes.byref(h)),
                        "retrace_ledger_create")
        finally:
            self._lib.retrace_options_free(o)
        return Ledger(self, h)

    def open_ledger(self, path, read_only=False, sync=True, regulatory="reject"):
        o = self._options(sync, read_only, regulatory)
        h = ctypes.c_void_p()
        try:
            self._check(self._lib.retrace_ledger_open(o, self._b(path), ctypes.byref(h)),
                        "retrace_ledger_open")
        finally:
            self._lib.retrace_options_free(o)
        return Ledger(self, h)


class Signer:
    """A private key. close() wipes it."""

    def __init__(self, rt, handle):
        self._rt, self._h = rt, handle

    def save(self, path):
        self._rt._check(self._rt._lib.retrace_signer_save(self._h, Retrace._b(path)), "retrace_signer_save")

    def public_key_pem(self):
        pk = ctypes.c_void_p()
        lib = self._rt._lib
        self._rt._check(lib.retrace_signer_public_key(self._h, ctypes.byref(pk)), "retrace_signer_public_key")
        try:
            return self._rt._text(lib.retrace_public_key_pem, pk)
        finally:
            lib.retrace_public_key_free(pk)

    def key_id(self):
        pk = ctypes.c_void_p()
        lib = self._rt._lib
        self._rt._check(lib.retrace_signer_public_key(self._h, ctypes.byref(pk)), "retrace_signer_public_key")
        try:
            out = (ctypes.c_char * 17)()
            self._rt._check(lib.retrace_public_key_id(pk, out), "retrace_public_key_id")
            return out.value.decode()
        finally:
            lib.retrace_public_key_free(pk)

    def close(self):
        if self._h:
            self._rt._lib.retrace_signer_free(self._h)
            self._h = None

    __del__ = close


class NoteSigner:
    """A note key: a ledger's checkpoint key, or a witness's. close() wipes it."""

    def __init__(self, rt, handle):
        self._rt, self._h = rt, handle

    def verifier_key(self):
        """The public key "<name>+<hex8>+<base64>" to hand to verifiers."""
        return self._rt._text(self._rt._lib.retrace_note_signer_verifier_key, self._h)

    def close(self):
        if self._h:
            self._rt._lib.retrace_note_signer_free(self._h)
            self._h = None

    __del__ = close


class Ledger:
    """An open ledger. Use as a context manager, or call close()."""

    def __init__(self, rt, handle):
        self._rt, self._h, self._lib = rt, handle, rt._lib

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._h:
            self._lib.retrace_ledger_close(self._h)
            self._h = None

    def info(self):
        return json.loads(self._rt._text(self._lib.retrace_ledger_info_json, self._h))

    def lot(self, lot_id):
        return json.loads(self._rt._text(self._lib.retrace_ledger_lot_json, self._h, Retrace._b(lot_id)))

    def register_actor(self, root, actor_id, role, legal_name, public_key_pem,
                       licence=None, jurisdiction="CN", root_actor="regulator"):
        lib = self._lib
        pem = public_key_pem.encode()
        pk = ctypes.c_void_p()
        self._rt._check(lib.retrace_public_key_from_pem(pem, len(pem), ctypes.byref(pk)),
                        "retrace_public_key_from_pem")
        try:
            seq = ctypes.c_uint64()
            b = Retrace._b
            self._rt._check(lib.retrace_ledger_register_actor(
                self._h, root._h, b(root_actor), b(actor_id), b(role), b(legal_name), pk,
                b(licence), b(jurisdiction), ctypes.byref(seq)), "retrace_ledger_register_actor")
            return seq.value
        finally:
            lib.retrace_public_key_free(pk)

    def append(self, signer, event):
        """Signs and appends one event (a dict or JSON text); returns (seq, hash hex)."""
        text = (event if isinstance(event, str) else json.dumps(event)).encode()
        seq, digest = ctypes.c_uint64(), (ctypes.c_uint8 * 32)()
        self._rt._check(self._lib.retrace_ledger_append_json(self._h, signer._h, text, len(text),
                                                             ctypes.byref(seq), digest),
                        "retrace_ledger_append_json")
        return seq.value, bytes(digest).hex()

    def append_batch(self, signed_events):
        """Appends [(signer, event), ...] in one transaction, all or nothing.
        Later events may move lots that earlier ones create. Returns the
        first new sequence number and the count."""
        lib = self._lib
        b = ctypes.c_void_p()
        self._rt._check(lib.retrace_batch_new(self._h, ctypes.byref(b)), "retrace_batch_new")
        try:
            for signer, event in signed_events:
                text = (event if isinstance(event, str) else json.dumps(event)).encode()
                self._rt._check(lib.retrace_batch_add_json(b, signer._h, text, len(text)),
                                "retrace_batch_add_json")
            first, count = ctypes.c_uint64(), ctypes.c_size_t()
            self._rt._check(lib.retrace_batch_commit(b, ctypes.byref(first), ctypes.byref(count)),
                            "retrace_batch_commit")
            return first.value, count.value
        finally:
            lib.retrace_batch_free(b)

    def verify(self, lot_id):
        """The verification report as a dict (schema retrace.verify/v1)."""
        return self._report(self._lib.retrace_ledger_verify, self._h, Retrace._b(lot_id))

    def audit(self, progress=None):
        """Audits the whole ledger; progress(done, total) is called as it goes."""
        cb_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)
        cb = cb_type(lambda _ctx, done, total: progress(done, total)) if progress else None
        return self._report(self._lib.retrace_ledger_audit, self._h,
                            ctypes.cast(cb, ctypes.c_void_p) if cb else None, None)

    def _report(self, fn, *args):
        return self._rt._report(fn, *args)

    # -- transparency and federation ----------------------------------------
    def checkpoint_sign(self, log_key):
        """Signs and stores a checkpoint of the whole log; the signed note."""
        return self._rt._text(self._lib.retrace_ledger_checkpoint_sign, self._h, log_key._h)

    def prove_lot(self, lot_id):
        """The lot's lineage bundle (bytes) in the latest stored checkpoint."""
        return self._rt._bytes(self._lib.retrace_ledger_prove_lot, self._h, Retrace._b(lot_id))

    def receive(self, consignee, bundle, consistency=None, event_id=None):
        """Receives a lot shipped to this ledger from another, with the
        sender's bundle; signed by `consignee`. Returns the receipt's seq."""
        seq = ctypes.c_uint64()
        c = None if consistency is None else consistency.encode()
        self._rt._check(self._lib.retrace_ledger_receive(
            self._h, consignee._h, bundle, len(bundle), c, 0 if c is None else len(c),
            Retrace._b(event_id), ctypes.byref(seq)), "retrace_ledger_receive")
        return seq.value

    def import_registry(self, registry, max_records=0):
        """Imports every registry record not imported yet from `registry` (a
        Ledger: the registry, or a mirror of its published log), each proven
        in its latest checkpoint; all or none. Returns how many were
        appended (0: nothing new)."""
        n = ctypes.c_uint64()
        self._rt._check(self._lib.retrace_ledger_import_registry(
            self._h, registry._h, max_records, ctypes.byref(n)), "retrace_ledger_import_registry")
        return n.value

    def lineage(self, lot_id):
        return json.loads(self._rt._text(self._lib.retrace_ledger_lineage_json, self._h, Retrace._b(lot_id)))

    def lineage_dot(self, lot_id):
        return self._rt._text(self._lib.retrace_ledger_lineage_dot, self._h, Retrace._b(lot_id))

    def report_html(self, lot_id):
        return self._rt._text(self._lib.retrace_ledger_report_html, self._h, Retrace._b(lot_id))

    def export_epcis(self, lot_id):
        return json.loads(self._rt._text(self._lib.retrace_ledger_export_epcis_lot, self._h,
                                         Retrace._b(lot_id)))
