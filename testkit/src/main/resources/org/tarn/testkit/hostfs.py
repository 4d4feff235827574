#!/usr/bin/python3
"""hostfs: one host's view of a shared disk, as a FUSE file system (for Tarn's tests).

Each mount of a backing directory behaves like the page cache of one host whose
disk is that directory:

* buffered writes land in this mount's memory (4 KiB pages) and reach the
  backing files only on fsync/fdatasync, when the mount's dirty pages exceed
  --dirty-bytes (oldest first, like background writeback), or at a clean
  unmount;
* buffered reads are served from this mount's pages when it has them, and
  otherwise fill them from the backing file; pages are never revalidated, so
  a read can be stale against what another mount wrote (clean pages are
  dropped, least recently used first, past --cache-bytes);
* I/O on a descriptor with O_DIRECT (at open or by fcntl) goes to the backing
  file both ways: like Linux, it first writes back this mount's dirty pages in
  the range, and a direct write drops this mount's cached pages of the range.
  Offsets and lengths must be multiples of --block-bytes (EINVAL otherwise),
  which is also the block size statfs reports. --refuse-direct makes every
  O_DIRECT open fail with EINVAL instead, like a file system without direct I/O.

SIGKILL of this process is a power cut of the host: its dirty pages are lost.
SIGTERM (or fusermount -u) unmounts cleanly, writing them back first.

The control file /.hostfs (not listed by readdir) reads as a JSON line of
counters; writing "drop" to it drops the clean pages, "sync" writes back every
dirty page (like sync(1)).

Kernel caching is off (every handle is opened with direct_io, attribute and
entry timeouts are 0): all caching is this process's, so it follows the rules
above exactly. Metadata (names, sizes, modes) is shared with the backing
directory at once, except that a file grown by buffered writes looks grown
to this mount only until they are written back.
"""

import argparse
import collections
import errno
import json
import os
import stat
import sys
import threading

import fusepy
from fusepy import FUSE, FuseOSError, Operations

PAGE = 4096
CTL = '/.hostfs'


class Inode:
    """One backing file as this host caches it."""

    def __init__(self, ino, fd):
        self.ino = ino
        self.fd = fd
        self.pages = {}        # page index -> bytearray(PAGE)
        self.dirty = set()     # page indexes not yet written back
        self.size_floor = 0    # bytes this host has written (buffered) up to, not yet written back

    def size(self):
        return max(os.fstat(self.fd).st_size, self.size_floor)


class HostFs(Operations):
    use_ns = True

    def __init__(self, backing, args):
        self.backing = os.path.realpath(backing)
        self.block = args.block_bytes
        self.dirty_limit = args.dirty_bytes
        self.cache_limit = args.cache_bytes
        self.refuse_direct = args.refuse_direct
        self.mutex = threading.RLock()
        self.inodes = {}                            # relative path -> Inode
        self.handles = {}                           # fh -> Inode
        self.next_fh = 1
        self.next_ino = 1
        self.clean = collections.OrderedDict()      # (Inode, index) -> None, LRU first
        self.dirty_order = collections.OrderedDict()  # (Inode, index) -> None, oldest first
        self.stats = collections.Counter()

    # ---- helpers -----------------------------------------------------------

    def _full(self, path):
        return os.path.join(self.backing, path.lstrip('/'))

    def _inode(self, path, create_fd=None):
        ino = self.inodes.get(path)
        if ino is None:
            fd = create_fd
            if fd is None:
                try:
                    fd = os.open(self._full(path), os.O_RDWR)
                except PermissionError:
                    fd = os.open(self._full(path), os.O_RDONLY)
            ino = Inode(self.next_ino, fd)
            self.next_ino += 1
            self.inodes[path] = ino
        elif create_fd is not None:
            os.close(create_fd)
        return ino

    def _drop_inode(self, ino):
        for idx in list(ino.pages):
            self._forget(ino, idx)
        os.close(ino.fd)

    def _forget(self, ino, idx):
        ino.pages.pop(idx, None)
        ino.dirty.discard(idx)
        self.clean.pop((ino, idx), None)
        self.dirty_order.pop((ino, idx), None)

    def _page(self, ino, idx):
        page = ino.pages.get(idx)
        if page is not None:
            self.stats['page_hits'] += 1
            if (ino, idx) in self.clean:
                self.clean.move_to_end((ino, idx))
            return page
        self.stats['page_fills'] += 1
        data = os.pread(ino.fd, PAGE, idx * PAGE)
        page = bytearray(PAGE)
        page[:len(data)] = data
        ino.pages[idx] = page
        self.clean[(ino, idx)] = None
        self._evict()
        return page

    def _mark_dirty(self, ino, idx):
        if idx not in ino.dirty:
            ino.dirty.add(idx)
            self.clean.pop((ino, idx), None)
            self.dirty_order[(ino, idx)] = None

    def _write_back(self, ino, idx):
        page = ino.pages[idx]
        end = min(PAGE, ino.size() - idx * PAGE)
        if end > 0:
            os.pwrite(ino.fd, bytes(page[:end]), idx * PAGE)
        ino.dirty.discard(idx)
        self.dirty_order.pop((ino, idx), None)
        self.clean[(ino, idx)] = None
        self.stats['writebacks'] += 1

    def _write_back_range(self, ino, offset, length):
        first, last = offset // PAGE, (offset + max(length, 1) - 1) // PAGE
        for idx in sorted(i for i in ino.dirty if first <= i <= last):
            self._write_back(ino, idx)

    def _sync_inode(self, ino):
        for idx in sorted(ino.dirty):
            self._write_back(ino, idx)
        if ino.size_floor <= os.fstat(ino.fd).st_size:
            ino.size_floor = 0

    def _evict(self):
        while len(self.dirty_order) * PAGE > self.dirty_limit:
            ino, idx = next(iter(self.dirty_order))
            self._write_back(ino, idx)
        while len(self.clean) * PAGE > self.cache_limit:
            (ino, idx), _ = self.clean.popitem(last=False)
            ino.pages.pop(idx, None)

    def _check_direct(self, offset, length):
        if self.refuse_direct:
            raise FuseOSError(errno.EINVAL)
        if offset % self.block or length % self.block:
            self.stats['direct_misaligned'] += 1
            raise FuseOSError(errno.EINVAL)

    # ---- control file ------------------------------------------------------

    def _ctl_text(self):
        s = dict(self.stats)
        s['dirty_bytes'] = len(self.dirty_order) * PAGE
        s['cached_bytes'] = sum(len(i.pages) for i in self.inodes.values()) * PAGE
        s['pid'] = os.getpid()
        return (json.dumps(s, sort_keys=True) + '\n').encode()

    # ---- FUSE operations ---------------------------------------------------

    def getattr(self, path, fh=None):
        with self.mutex:
            if path == CTL:
                return {'st_mode': stat.S_IFREG | 0o600, 'st_nlink': 1, 'st_size': 4096}
            st = os.lstat(self._full(path))
            attrs = {k: getattr(st, k) for k in ('st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_size',
                                                   'st_atime_ns', 'st_mtime_ns', 'st_ctime_ns', 'st_ino')}
            attrs['st_atime'] = attrs.pop('st_atime_ns')
            attrs['st_mtime'] = attrs.pop('st_mtime_ns')
            attrs['st_ctime'] = attrs.pop('st_ctime_ns')
            ino = self.inodes.get(path)
            if ino is not None and stat.S_ISREG(st.st_mode):
                attrs['st_size'] = max(st.st_size, ino.size_floor)
            return attrs

    def access(self, path, amode):
        if path == CTL:
            return 0
        if not os.access(self._full(path), amode):
            raise FuseOSError(errno.EACCES)
        return 0

    def readdir(self, path, fh):
        return ['.', '..'] + sorted(os.listdir(self._full(path)))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._full(path))

    def symlink(self, target, source):
        return os.symlink(source, self._full(target))

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        return os.utime(self._full(path), ns=times) if times else os.utime(self._full(path))

    def statfs(self, path):
        sv = os.statvfs(self._full('/'))
        scale = sv.f_frsize / self.block
        return {'f_bsize': self.block, 'f_frsize': self.block, 'f_blocks': int(sv.f_blocks * scale),
                'f_bfree': int(sv.f_bfree * scale), 'f_bavail': int(sv.f_bavail * scale),
                'f_files': sv.f_files, 'f_ffree': sv.f_ffree, 'f_favail': sv.f_favail,
                'f_namemax': sv.f_namemax}

    def unlink(self, path):
        with self.mutex:
            os.unlink(self._full(path))
            ino = self.inodes.pop(path, None)
            if ino is not None and ino not in self.handles.values():
                self._drop_inode(ino)

    def rename(self, old, new):
        with self.mutex:
            os.rename(self._full(old), self._full(new))
            replaced = self.inodes.pop(new, None)
            if replaced is not None and replaced not in self.handles.values():
                self._drop_inode(replaced)
            ino = self.inodes.pop(old, None)
            if ino is not None:
                self.inodes[new] = ino

    def truncate(self, path, length, fh=None):
        with self.mutex:
            if path == CTL:
                return 0
            ino = self.inodes.get(path)
            if ino is not None:
                for idx in [i for i in ino.pages if i * PAGE >= length]:
                    self._forget(ino, idx)
                tail = ino.pages.get(length // PAGE)
                if tail is not None:
                    tail[length % PAGE:] = bytes(PAGE - length % PAGE)
                ino.size_floor = min(ino.size_floor, length)
            os.truncate(self._full(path), length)

    def _open_handle(self, ino, fi):
        if self.refuse_direct and fi.flags & os.O_DIRECT:
            raise FuseOSError(errno.EINVAL)
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = ino
        fi.fh = fh
        fi.direct_io = 1
        return 0

    def open(self, path, fi):
        with self.mutex:
            if path == CTL:
                fi.fh = 0
                fi.direct_io = 1
                return 0
            return self._open_handle(self._inode(path), fi)

    def create(self, path, mode, fi):
        with self.mutex:
            flags = os.O_RDWR | os.O_CREAT | (fi.flags & (os.O_EXCL | os.O_TRUNC))
            fd = os.open(self._full(path), flags, mode)
            return self._open_handle(self._inode(path, create_fd=fd), fi)

    def read(self, path, size, offset, fi):
        with self.mutex:
            if fi.fh == 0:
                return self._ctl_text()[offset:offset + size]
            ino = self.handles[fi.fh]
            if fi.flags & os.O_DIRECT:
                self._check_direct(offset, size)
                self._write_back_range(ino, offset, size)
                self.stats['direct_reads'] += 1
                return os.pread(ino.fd, size, offset)
            self.stats['buffered_reads'] += 1
            end = min(offset + size, ino.size())
            out = bytearray()
            pos = offset
            while pos < end:
                idx, at = divmod(pos, PAGE)
                n = min(PAGE - at, end - pos)
                out += self._page(ino, idx)[at:at + n]
                pos += n
            return bytes(out)

    def write(self, path, data, offset, fi):
        with self.mutex:
            if fi.fh == 0:
                self._control(data.decode(errors='replace').strip())
                return len(data)
            ino = self.handles[fi.fh]
            if fi.flags & os.O_DIRECT:
                self._check_direct(offset, len(data))
                self._write_back_range(ino, offset, len(data))
                written = os.pwrite(ino.fd, data, offset)
                first, last = offset // PAGE, (offset + max(len(data), 1) - 1) // PAGE
                for idx in [i for i in ino.pages if first <= i <= last]:
                    self._forget(ino, idx)
                self.stats['direct_writes'] += 1
                return written
            self.stats['buffered_writes'] += 1
            pos = 0
            while pos < len(data):
                idx, at = divmod(offset + pos, PAGE)
                n = min(PAGE - at, len(data) - pos)
                if n == PAGE:
                    page = ino.pages.get(idx)
                    if page is None:
                        page = bytearray(PAGE)
                        ino.pages[idx] = page
                else:
                    page = self._page(ino, idx)
                page[at:at + n] = data[pos:pos + n]
                self._mark_dirty(ino, idx)
                pos += n
            ino.size_floor = max(ino.size_floor, offset + len(data))
            self._evict()
            return len(data)

    def fsync(self, path, datasync, fi):
        with self.mutex:
            if fi.fh == 0:
                return 0
            self.stats['fsyncs'] += 1
            self._sync_inode(self.handles[fi.fh])
            return 0

    def flush(self, path, fi):
        return 0  # close() does not write back, as on Linux

    def release(self, path, fi):
        with self.mutex:
            ino = self.handles.pop(fi.fh, None)
            if ino is not None and ino not in self.inodes.values() and ino not in self.handles.values():
                self._drop_inode(ino)  # an unlinked file's last close
            return 0

    def _control(self, command):
        if command == 'drop':
            for ino, idx in list(self.clean):
                self._forget(ino, idx)
        elif command == 'sync':
            for ino in list(self.inodes.values()):
                self._sync_inode(ino)
        else:
            raise FuseOSError(errno.EINVAL)

    def destroy(self, path):
        with self.mutex:
            for ino in list(self.inodes.values()):
                self._sync_inode(ino)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('backing')
    p.add_argument('mountpoint')
    p.add_argument('--name', default='hostfs', help='fsname shown in the mount table')
    p.add_argument('--block-bytes', type=int, default=4096, help='direct I/O alignment and statfs block size')
    p.add_argument('--dirty-bytes', type=int, default=256 << 20, help='dirty pages kept before writeback')
    p.add_argument('--cache-bytes', type=int, default=256 << 20, help='clean pages kept')
    p.add_argument('--refuse-direct', action='store_true', help='fail O_DIRECT opens and I/O with EINVAL')
    args = p.parse_args()
    if args.block_bytes <= 0 or PAGE % args.block_bytes and args.block_bytes % PAGE:
        p.error('--block-bytes must divide or be a multiple of %d' % PAGE)
    fs = HostFs(args.backing, args)
    FUSE(fs, args.mountpoint, raw_fi=True, foreground=True, nothreads=False, fsname=args.name,
         subtype='hostfs', attr_timeout=0, entry_timeout=0, negative_timeout=0, big_writes=True,
         max_write=131072, max_read=131072)


if __name__ == '__main__':
    sys.exit(main())
