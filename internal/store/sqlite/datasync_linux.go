package sqlite

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// aioSyncer flushes files with Linux AIO (IOCB_CMD_FDSYNC, kernel 4.18+):
// the kernel runs the flush on a worker thread and signals an eventfd that
// the Go netpoller watches, so the waiting goroutine parks instead of
// holding a P inside fdatasync(2). A blocking fdatasync keeps its P until
// sysmon steals it, which on a 2-core machine idles half the CPU for as
// long as the disk takes (see docs/decisions.md, "Flushing off the CPU").
type aioSyncer struct {
	mu  sync.Mutex // one flush at a time: one eventfd, one completion
	ctx uintptr
	efd *os.File
	fd  int
}

// Kernel ABI of struct iocb and struct io_event (include/uapi/linux/aio_abi.h).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

type ioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	iocbCmdFdsync = 3
	iocbFlagResfd = 1 << 0
)

// newDataSyncer returns the AIO flusher, or the blocking one where the
// kernel refuses AIO (an old kernel, a sandbox without io_setup, a file
// system without it). dir is where the flushed files live: the probe
// flushes a file there.
func newDataSyncer(dir string) dataSyncer {
	a, err := newAIOSyncer(dir)
	if err != nil {
		return blockingSyncer{reason: err.Error()}
	}
	return a
}

func newAIOSyncer(dir string) (*aioSyncer, error) {
	var ctx uintptr
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return nil, fmt.Errorf("io_setup: %w", e)
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	a := &aioSyncer{ctx: ctx, efd: os.NewFile(uintptr(fd), "aio-eventfd"), fd: fd}
	// Probe once, on the file system the flushes are for: a kernel or
	// file system without FDSYNC support fails the submit.
	probe, err := os.CreateTemp(dir, ".aio-probe-*")
	if err != nil {
		a.close()
		return nil, err
	}
	defer os.Remove(probe.Name())
	defer probe.Close()
	if err := a.datasync(probe); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *aioSyncer) name() string { return "linux-aio" }

func (a *aioSyncer) datasync(f *os.File) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var submitErr error
	if err := sc.Control(func(fd uintptr) {
		cb := &iocb{opcode: iocbCmdFdsync, fildes: uint32(fd), flags: iocbFlagResfd, resfd: uint32(a.fd)}
		if _, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&cb))); e != 0 {
			submitErr = fmt.Errorf("io_submit: %w", e)
		}
		runtime.KeepAlive(cb)
	}); err != nil {
		return err
	}
	if submitErr != nil {
		return submitErr
	}
	// The eventfd counts completions; reading it parks this goroutine in
	// the netpoller until the flush is done.
	var buf [8]byte
	if _, err := a.efd.Read(buf[:]); err != nil {
		return fmt.Errorf("aio eventfd: %w", err)
	}
	var ev ioEvent
	var zero unix.Timespec
	n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), uintptr(unsafe.Pointer(&zero)), 0)
	runtime.KeepAlive(f)
	switch {
	case e != 0:
		return fmt.Errorf("io_getevents: %w", e)
	case n != 1:
		return fmt.Errorf("io_getevents: %d events after the eventfd fired", n)
	case ev.res < 0:
		return fmt.Errorf("fdatasync: %w", unix.Errno(-ev.res))
	}
	return nil
}

func (a *aioSyncer) close() {
	unix.Syscall(unix.SYS_IO_DESTROY, a.ctx, 0, 0)
	a.efd.Close()
}

// fdatasync flushes f's data (and the size, if it grew) without forcing
// an update of its modification time.
func fdatasync(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
