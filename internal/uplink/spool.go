package uplink

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrEmpty is returned by Spool.Oldest when nothing is spooled.
var ErrEmpty = errors.New("spool is empty")

const (
	batchExt    = ".batch"
	tmpExt      = ".tmp"
	droppedFile = "dropped"
)

// Spool is a bounded directory of encoded batches, oldest sent first. Each
// batch is written to a temporary file, synced, renamed into place and the
// directory synced, so a batch is either wholly spooled or absent after a
// crash (SIGKILL, power loss). A spool directory is locked (flock) by the
// Spool that opened it, so two sensors cannot share one; the kernel releases
// the lock when the process dies, however it dies.
type Spool struct {
	dir        string
	lock       *os.File
	maxBatches int
	maxBytes   int64
	log        *slog.Logger

	mu      sync.Mutex
	names   []string // oldest first
	sizes   map[string]int64
	bytes   int64
	dropped int64
	seq     uint64
}

// OpenSpool opens (creating) dir. Zero bounds mean unbounded in that
// dimension; a spool bounded by neither would grow without limit, so at
// least one bound is required. Leftover temporary files of a crashed writer
// are removed.
func OpenSpool(dir string, maxBatches int, maxBytes int64, log *slog.Logger) (*Spool, error) {
	if maxBatches <= 0 && maxBytes <= 0 {
		return nil, errors.New("spool: a batch or byte bound is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool %s is in use by another sensor: %w", dir, err)
	}
	opened := false
	defer func() {
		if !opened {
			lock.Close()
		}
	}()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, lock: lock, maxBatches: maxBatches, maxBytes: maxBytes, log: log, sizes: map[string]int64{}}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, tmpExt):
			// A write the crash interrupted: never acknowledged as spooled.
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("spool: remove partial %s: %w", name, err)
			}
		case strings.HasSuffix(name, batchExt):
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("spool: %w", err)
			}
			s.names = append(s.names, name)
			s.sizes[name] = info.Size()
			s.bytes += info.Size()
		}
	}
	sort.Strings(s.names)
	if n := len(s.names); n > 0 {
		s.seq, _ = strconv.ParseUint(strings.TrimSuffix(s.names[n-1], batchExt), 10, 64)
	}
	if b, err := os.ReadFile(filepath.Join(dir, droppedFile)); err == nil {
		s.dropped, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: %w", err)
	}
	opened = true
	return s, nil
}

// Close releases the spool directory.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close() // closing the descriptor drops the flock
	s.lock = nil
	return err
}

// Put stores one encoded batch durably. When the spool is past its bound
// the oldest batches are dropped and counted.
func (s *Spool) Put(data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Names are a counter continuing from the newest spooled batch, zero
	// padded so they sort in spool order whatever the clock does.
	s.seq++
	name := fmt.Sprintf("%020d%s", s.seq, batchExt)
	if err := writeFileSync(s.dir, name, data); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.names = append(s.names, name)
	s.sizes[name] = int64(len(data))
	s.bytes += int64(len(data))
	dropped := 0
	for len(s.names) > 1 && ((s.maxBatches > 0 && len(s.names) > s.maxBatches) || (s.maxBytes > 0 && s.bytes > s.maxBytes)) {
		old := s.names[0]
		if err := os.Remove(filepath.Join(s.dir, old)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: drop %s: %w", old, err)
		}
		s.forget(old)
		dropped++
	}
	if dropped > 0 {
		s.dropped += int64(dropped)
		s.log.Warn("spool full: dropped oldest batches", "dropped", dropped, "dropped_total", s.dropped, "backlog", len(s.names))
		if err := writeFileSync(s.dir, droppedFile, []byte(strconv.FormatInt(s.dropped, 10)+"\n")); err != nil {
			return fmt.Errorf("spool: record dropped count: %w", err)
		}
	}
	return nil
}

func (s *Spool) forget(name string) {
	s.bytes -= s.sizes[name]
	delete(s.sizes, name)
	if len(s.names) > 0 && s.names[0] == name {
		s.names = s.names[1:]
		return
	}
	for i, n := range s.names {
		if n == name {
			s.names = append(s.names[:i], s.names[i+1:]...)
			return
		}
	}
}

// Oldest returns the oldest spooled batch and its name.
func (s *Spool) Oldest() (string, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.names) > 0 {
		name := s.names[0]
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			s.forget(name)
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("spool: %w", err)
		}
		return name, data, nil
	}
	return "", nil, ErrEmpty
}

// Remove deletes an acknowledged batch.
func (s *Spool) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	s.forget(name)
	return nil
}

// Quarantine moves a batch the server refused as malformed aside (into
// rejected/), so it stops blocking the queue but stays for inspection.
func (s *Spool) Quarantine(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rej := filepath.Join(s.dir, "rejected")
	if err := os.MkdirAll(rej, 0o700); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(filepath.Join(s.dir, name), filepath.Join(rej, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	s.forget(name)
	return nil
}

// Len returns the number of spooled batches and their bytes.
func (s *Spool) Len() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.names), s.bytes
}

// Dropped returns how many batches were dropped from the full spool, ever.
func (s *Spool) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// writeFileSync writes dir/name atomically and durably: temp file, fsync,
// rename, fsync of the directory (so the rename itself survives power loss).
func writeFileSync(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+tmpExt)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
