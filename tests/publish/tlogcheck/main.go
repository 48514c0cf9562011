// tlogcheck reads a retrace ledger published as C2SP tlog-tiles with an
// implementation no one on the retrace project wrote: Go's
// golang.org/x/mod/sumdb/note (signed notes) and golang.org/x/mod/sumdb/tlog
// (tiled Merkle trees), as Debian packages them (golang-golang-x-mod-dev).
//
//	tlogcheck PREFIX VERIFIER_KEY [OLD_CHECKPOINT_FILE]
//
// It verifies the checkpoint's signature, reads hash tiles through
// tlog.TileHashReader (which authenticates every tile against the
// checkpoint's root), recomputes the root, proves the inclusion of every
// entry of the entry bundles (each leaf hash tlog.RecordHash(entry)) and,
// given an older checkpoint, proves the new tree consistent with it.
// sumdb's tile paths carry the height ("tile/8/L/N"); tlog-tiles fixes the
// height at 8 and leaves it out ("tile/L/N"): the only adaptation here. The
// entry-bundle parser (uint16 big-endian lengths) is this file's own.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var prefix string

func fetch(path string) ([]byte, error) {
	if strings.HasPrefix(prefix, "http://") || strings.HasPrefix(prefix, "https://") {
		resp, err := http.Get(strings.TrimRight(prefix, "/") + "/" + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		return io.ReadAll(resp.Body)
	}
	return os.ReadFile(strings.TrimRight(prefix, "/") + "/" + path)
}

type tiles struct{}

func (tiles) Height() int { return 8 }

func (tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		p := t.Path() // tile/8/L/N[.p/W]
		data, err := fetch("tile/" + strings.TrimPrefix(p, "tile/8/"))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func parseCheckpoint(msg []byte, v note.Verifier) (string, int64, tlog.Hash) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("checkpoint root: %v", err)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return lines[0], size, h
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck PREFIX VERIFIER_KEY [OLD_CHECKPOINT_FILE]")
		os.Exit(2)
	}
	prefix = os.Args[1]
	v, err := note.NewVerifier(strings.TrimSpace(os.Args[2]))
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := fetch("checkpoint")
	if err != nil {
		fail("%v", err)
	}
	origin, size, root := parseCheckpoint(msg, v)
	tree := tlog.Tree{N: size, Hash: root}
	hr := tlog.TileHashReader(tree, tiles{})
	got, err := tlog.TreeHash(size, hr)
	if err != nil || got != root {
		fail("tree hash from the tiles: %v (%v)", got, err)
	}
	proven := 0
	for start := int64(0); start < size; start += 256 {
		width := size - start
		path := fmt.Sprintf("tile/entries/%s", tlog.Tile{H: 8, L: 0, N: start / 256, W: 256}.Path()[len("tile/8/0/"):])
		if width < 256 {
			path += fmt.Sprintf(".p/%d", width)
		} else {
			width = 256
		}
		bundle, err := fetch(path)
		if err != nil {
			fail("%v", err)
		}
		r := bytes.NewReader(bundle)
		for i := int64(0); i < width; i++ {
			var l [2]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				fail("%s: entry %d: %v", path, i, err)
			}
			entry := make([]byte, int(l[0])<<8|int(l[1]))
			if _, err := io.ReadFull(r, entry); err != nil {
				fail("%s: entry %d: %v", path, i, err)
			}
			idx := start + i
			p, err := tlog.ProveRecord(size, idx, hr)
			if err != nil {
				fail("proving record %d: %v", idx, err)
			}
			if err := tlog.CheckRecord(p, size, root, idx, tlog.RecordHash(entry)); err != nil {
				fail("record %d: %v", idx, err)
			}
			proven++
		}
		if r.Len() != 0 {
			fail("%s: %d trailing bytes", path, r.Len())
		}
	}
	consistency := ""
	if len(os.Args) > 3 {
		old, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		oldOrigin, oldSize, oldRoot := parseCheckpoint(old, v)
		if oldOrigin != origin {
			fail("the old checkpoint is of %q, not %q", oldOrigin, origin)
		}
		p, err := tlog.ProveTree(size, oldSize, hr)
		if err != nil {
			fail("proving consistency: %v", err)
		}
		if err := tlog.CheckTree(p, size, root, oldSize, oldRoot); err != nil {
			fail("consistency with size %d: %v", oldSize, err)
		}
		consistency = fmt.Sprintf(", consistent with size %d", oldSize)
	}
	fmt.Printf("tlogcheck: OK: %s size %d, %d records proven%s\n", origin, size, proven, consistency)
}
