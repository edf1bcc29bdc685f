package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// The master key: where it comes from, the rule that none is made over
// sealed values, and the commands of its rotation (docs/OPERATIONS.md).

// fileKeys reports whether the master keys live in the data dir: the
// embedded default, when LICENSED_MASTER_KEY is not set.
func (m *Main) fileKeys() bool { return m.Config.MasterKey == "" && !m.Config.postgres() }

// keyPath is the master key file, absolute when it can be, for messages
// an operator acts on.
func (m *Main) keyPath(name string) string {
	p := filepath.Join(m.Config.DataDir, name)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// keyConfig reads the configured master keys (not the data dir's files):
// mistakes in them are reported before any store is opened.
type keyConfig struct {
	primary []byte // nil: the data dir's master.key
	old     [][]byte
}

func (m *Main) keyConfig() (keyConfig, error) {
	var c keyConfig
	var err error
	if c.old, err = seal.ParseMasterKeys(m.Config.MasterKeyOld); err != nil {
		return c, fmt.Errorf("LICENSED_MASTER_KEY_OLD: %w", err)
	}
	switch {
	case m.Config.MasterKey != "":
		if c.primary, err = seal.ParseMasterKey(m.Config.MasterKey); err != nil {
			return c, fmt.Errorf("LICENSED_MASTER_KEY: %w", err)
		}
	case m.Config.postgres():
		return c, errors.New("LICENSED_MASTER_KEY is required with PostgreSQL: 32 bytes in base64. " +
			"For a new database, generate one with `openssl rand -base64 32` and keep it safe, apart from the database: it decrypts the signing and license keys. " +
			"For a database licensed already used, set the key it was sealed under (restore it from your secret manager or backups): " +
			"without it the signing keys and license keys in the database cannot be read")
	}
	return c, nil
}

// loadKeyring loads the master keys — the primary, which seals, and the
// old ones of a rotation in progress, which only open — and checks that
// they open what st holds. It creates a master key only on the embedded
// default, and only while st holds nothing sealed: a new key over sealed
// values could open none of them and would stay in place of the lost one.
func (m *Main) loadKeyring(ctx context.Context, st store.Queries, c keyConfig) (*seal.Keyring, error) {
	primary, old := c.primary, c.old
	if primary == nil {
		var err error
		if primary, err = m.masterKeyFile(ctx, st); err != nil {
			return nil, err
		}
		fromFile, err := seal.ReadOldMasterKeyFile(m.Config.DataDir)
		if err != nil {
			return nil, err
		}
		old = append(old, fromFile...)
	}
	ring, err := seal.NewKeyring(primary, old...)
	if err != nil {
		return nil, err
	}
	var mis *seal.MismatchError
	if err := seal.Check(ctx, st, ring); errors.As(err, &mis) {
		return nil, m.wrongMasterKey(mis)
	} else if err != nil {
		return nil, fmt.Errorf("checking the master key against the store: %w", err)
	}
	return ring, nil
}

// masterKeyFile reads data/master.key, creating it only when the store
// holds nothing sealed.
func (m *Main) masterKeyFile(ctx context.Context, st store.Queries) ([]byte, error) {
	key, err := seal.ReadMasterKeyFile(m.Config.DataDir)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	sealed, err := seal.HasSealed(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("looking for sealed secrets before creating a master key: %w", err)
	}
	if sealed {
		return nil, m.noMasterKey(ctx, st, m.keyPath(seal.MasterKeyFile)+" does not exist and LICENSED_MASTER_KEY is not set")
	}
	key, err = seal.CreateMasterKeyFile(m.Config.DataDir)
	if err == nil {
		m.log.Warn("created a new master key: back it up now, apart from the database; without it no signing key or license key in the store can be read",
			"path", m.keyPath(seal.MasterKeyFile))
	}
	return key, err
}

// noMasterKey is the error of a start without a master key: with how to
// restore it when the store holds secrets sealed under one.
func (m *Main) noMasterKey(ctx context.Context, st store.Queries, what string) error {
	ids, err := seal.SealedUnderIDs(ctx, st)
	if err != nil || len(ids) == 0 {
		return errors.New(what)
	}
	return fmt.Errorf("no master key: %s, but the store already holds secrets sealed under master key %s.\n"+
		"licensed will not create a new master key over them: it could not open them, and would take the lost key's place.\n%s",
		what, strings.Join(ids, ", "), m.restoreHelp(ids))
}

// wrongMasterKey is the error of a start whose keys do not open the store.
func (m *Main) wrongMasterKey(mis *seal.MismatchError) error {
	source := "LICENSED_MASTER_KEY"
	if m.fileKeys() {
		source = m.keyPath(seal.MasterKeyFile)
	}
	return fmt.Errorf("the master key does not open the store's secrets: %v.\n"+
		"The loaded key (from %s) is not the one the store was sealed under.\n%s\n"+
		"During a master key rotation, keep the previous key in LICENSED_MASTER_KEY_OLD (or %s) until `licensed keys rotate-master` reports nothing remaining.",
		mis, source, m.restoreHelp(mis.SealedUnder), m.keyPath(seal.OldMasterKeyFile))
}

func (m *Main) restoreHelp(ids []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Restore the master key with id %s:\n", strings.Join(ids, ", "))
	if m.Config.postgres() {
		b.WriteString("  - set LICENSED_MASTER_KEY to it (32 bytes, base64);\n")
	} else {
		fmt.Fprintf(&b, "  - copy it back to %s (one line of base64, chmod 600), or set LICENSED_MASTER_KEY to it;\n", m.keyPath(seal.MasterKeyFile))
	}
	fmt.Fprintf(&b, "  - look in the backups of %s (master.key is kept beside licensed.db), in your secret manager, and wherever the key was put when the service was set up;\n", m.keyPath(""))
	b.WriteString("  - check a candidate with `LICENSED_MASTER_KEY=<candidate> licensed keys master-id`, which prints its id.\n")
	b.WriteString("Without it the signing keys and the license keys in the store cannot be read: no token can be signed and no license key shown again.")
	return b.String()
}

// masterID prints the ids of the configured master keys, touching no
// store and creating nothing: for matching a backup to the id an error
// names.
func (m *Main) masterID(ctx context.Context) error {
	c, err := m.keyConfig()
	if err != nil {
		return err
	}
	if c.primary == nil {
		if c.primary, err = seal.ReadMasterKeyFile(m.Config.DataDir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no master key: %s does not exist and LICENSED_MASTER_KEY is not set", m.keyPath(seal.MasterKeyFile))
		} else if err != nil {
			return err
		}
		fromFile, err := seal.ReadOldMasterKeyFile(m.Config.DataDir)
		if err != nil {
			return err
		}
		c.old = append(c.old, fromFile...)
	}
	ring, err := seal.NewKeyring(c.primary, c.old...)
	if err != nil {
		return err
	}
	return m.print(map[string]any{"key_id": ring.ID(), "old_key_ids": ring.IDs()[1:]}, nil)
}

// newMaster starts a rotation on the embedded default: the current key
// moves to master.key.old and a new one takes its place. Only after the
// current key was shown to open the store, so a wrong key is never kept as
// "old" while the right one is lost.
func (m *Main) newMaster(ctx context.Context) error {
	if !m.fileKeys() {
		return errors.New("the master key is configured (LICENSED_MASTER_KEY), not kept in the data dir: " +
			"generate the new one with `openssl rand -base64 32`, restart every replica with LICENSED_MASTER_KEY=<new> and " +
			"LICENSED_MASTER_KEY_OLD=<current>, then run `licensed keys rotate-master` (see docs/OPERATIONS.md)")
	}
	key, err := seal.ReplaceMasterKeyFile(m.Config.DataDir)
	if err != nil {
		return err
	}
	id, err := seal.KeyID(key)
	if err != nil {
		return err
	}
	return m.print(map[string]any{
		"key_id":      id,
		"old_key_ids": m.secrets.IDs(),
		"next": "back up " + m.keyPath(seal.MasterKeyFile) + ", restart `licensed serve` (it reads both keys), " +
			"then run `licensed keys rotate-master`; keep " + m.keyPath(seal.OldMasterKeyFile) + " until it reports nothing remaining",
	}, nil)
}

// rotateMaster re-seals every secret under the primary master key.
func (m *Main) rotateMaster(ctx context.Context, args []string, name string) error {
	var o seal.RotateOptions
	return m.run(ctx, name, args, func(fs *flag.FlagSet) {
		fs.IntVar(&o.Batch, "batch", 100, "values re-sealed per transaction")
		fs.IntVar(&o.Limit, "limit", 0, "stop after re-sealing this many values (0: all); run again to go on")
	}, func(ctx context.Context) error {
		rep, err := seal.Rotate(ctx, m.store, m.secrets, o)
		if err != nil {
			var wrong *seal.WrongKeyError
			if errors.As(err, &wrong) {
				return fmt.Errorf("%w\nAdd the master key %s to LICENSED_MASTER_KEY_OLD (or %s) and run again: what was re-sealed so far stays re-sealed",
					err, wrong.SealedUnder, m.keyPath(seal.OldMasterKeyFile))
			}
			return fmt.Errorf("%w\nWhat was re-sealed so far stays re-sealed; run again to go on", err)
		}
		return m.print(map[string]any{
			"key_id": rep.KeyID, "resealed": rep.Resealed, "remaining": rep.Remaining, "done": rep.Remaining == 0,
		}, nil)
	})
}
