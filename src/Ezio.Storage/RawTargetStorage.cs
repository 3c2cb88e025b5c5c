using Ezio.BitTorrent.Storage;
using Ezio.Storage.Interop;
using Tmds.Linux;

namespace Ezio.Storage;

/// <summary>
/// Writes a torrent straight onto a block device (or a regular file standing in for one)
/// through an <see cref="ExtentMap"/>: the product's core path. Only bytes inside extents are
/// ever written; holes keep whatever the target held.
/// </summary>
/// <remarks>
/// Two descriptors: a buffered one for reads (seeding; destinations are not aligned) and for
/// unaligned edges, and an O_DIRECT one for the aligned body of each run, which skips the
/// page cache. The kernel keeps the two coherent: a direct write flushes and invalidates the
/// cached pages it covers. Every safety check (target type, mounts, size, overlap) runs in
/// <see cref="Open"/>, before anything is written. Threading follows
/// <see cref="ITorrentStorage"/>: concurrent reads, one writer; descriptors never change after
/// open, so no locks.
/// </remarks>
public sealed unsafe partial class RawTargetStorage : ITorrentStorage
{
    private readonly ExtentMap _map;
    private readonly string _path;
    private readonly int _sectorSize;
    private readonly bool _readOnly;
    private bool _directReads;
    private int _bufferedFd;
    private int _directFd;

    private RawTargetStorage(ExtentMap map, string path, int bufferedFd, int directFd, int sectorSize,
        bool isBlockDevice, long targetSize, bool mayHaveData, RawTargetOptions options)
    {
        _readOnly = options.ReadOnly;
        _directReads = options.DirectReads && directFd >= 0;
        _map = map;
        _path = path;
        _bufferedFd = bufferedFd;
        _directFd = directFd;
        _sectorSize = sectorSize;
        IsBlockDevice = isBlockDevice;
        TargetSize = targetSize;
        MayHaveData = mayHaveData;
    }

    public long Length => _map.TorrentLength;

    /// <summary>True for block devices and for regular files that existed before open.</summary>
    public bool MayHaveData { get; }

    public bool IsBlockDevice { get; }

    /// <summary>Size of the target in bytes (a regular file after it was extended).</summary>
    public long TargetSize { get; }

    /// <summary>True when aligned runs go through an O_DIRECT descriptor.</summary>
    public bool UsesDirectIo => _directFd >= 0;

    /// <summary>True when reads go through the O_DIRECT descriptor (asked for, and the target allows it).</summary>
    public bool ReadsDirect => _directReads;

    /// <summary>Opened with <see cref="RawTargetOptions.ReadOnly"/>: O_RDONLY, never written, extended or truncated.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>Where the last extent ends on the target: a read-only target shorter than this misses data.</summary>
    public long TargetEnd => _map.TargetEnd;

    /// <summary>fdatasync calls that reached the target (for tests: "done" always follows one).</summary>
    public long FlushCalls { get; private set; }

    /// <summary>The O_DIRECT alignment: logical sector size of a device, or the file alignment.</summary>
    public int SectorSize => _sectorSize;

    /// <summary>pwrite calls issued on the O_DIRECT descriptor (for tests and statistics).</summary>
    internal long DirectWriteCalls { get; private set; }

    /// <summary>pwrite calls issued on the buffered descriptor.</summary>
    internal long BufferedWriteCalls { get; private set; }

    /// <summary>
    /// Opens <paramref name="targetPath"/> for writing the extents of <paramref name="map"/>.
    /// Throws <see cref="TargetRefusedException"/> (nothing written) when the target is a
    /// directory or character device, is mounted or busy, or is a block device too small for
    /// the extents; a regular file is created or extended (sparse), never shrunk. Read-only
    /// (<see cref="RawTargetOptions.ReadOnly"/>) opens an existing target as it is.
    /// </summary>
    public static RawTargetStorage Open(string targetPath, ExtentMap map, RawTargetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentNullException.ThrowIfNull(map);
        options ??= new RawTargetOptions();

        TargetKind kind = Probe(targetPath);
        if (kind == TargetKind.Missing && (!options.CreateFile || options.ReadOnly))
        {
            throw new StorageException($"Target '{targetPath}' does not exist.");
        }

        bool isBlock = kind == TargetKind.BlockDevice;
        // O_EXCL on a block device asks the kernel for an exclusive claim: it fails with EBUSY
        // while the device (or a partition of it) is mounted, used as swap or held by
        // device-mapper. It backs up the mountinfo check, which gives the clearer message.
        // Reading needs neither: it changes nothing, and may run beside the writer.
        bool claim = isBlock && !options.ReadOnly;
        int flags = (options.ReadOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC | (claim ? LibC.O_EXCL : 0)
            | (kind == TargetKind.Missing ? LibC.O_CREAT : 0);
        if (claim)
        {
            RefuseIfMounted(targetPath);
        }

        int fd = OpenFd(targetPath, flags, refuseBusy: claim);
        int directFd = -1;
        try
        {
            stat st;
            if (LibC.fstat(fd, &st) != 0)
            {
                Errors.ThrowStorage("fstat", targetPath, Errors.LastErrno);
            }

            // Checked again on the descriptor: the path may have been swapped since Probe.
            TargetKind opened = LibC.S_ISBLK(st.st_mode) ? TargetKind.BlockDevice
                : LibC.S_ISREG(st.st_mode) ? TargetKind.RegularFile : TargetKind.Other;
            if (opened == TargetKind.Other || (opened == TargetKind.BlockDevice) != isBlock)
            {
                throw Unsupported(targetPath, "it changed type while being opened");
            }

            long size;
            int sectorSize;
            if (isBlock)
            {
                size = BlockDevice.GetSize(fd, targetPath);
                sectorSize = BlockDevice.GetLogicalSectorSize(fd, targetPath);
                map.EnsureFits(size, targetPath);
            }
            else
            {
                size = st.st_size;
                sectorSize = options.FileAlignment;
                if (map.TargetEnd > size && !options.ReadOnly)
                {
                    // ftruncate past the end leaves a hole: the file grows without using blocks.
                    if (LibC.ftruncate(fd, map.TargetEnd) != 0)
                    {
                        Errors.ThrowStorage("ftruncate", targetPath, 0, map.TargetEnd, Errors.LastErrno);
                    }

                    size = map.TargetEnd;
                }
            }

            if (options.DirectIo || options.DirectReads)
            {
                directFd = TryOpenDirect(targetPath, options.ReadOnly);
            }

            return new RawTargetStorage(map, targetPath, fd, directFd, sectorSize, isBlock, size,
                mayHaveData: kind != TargetKind.Missing, options);
        }
        catch
        {
            CloseFd(directFd);
            CloseFd(fd);
            throw;
        }
    }

    public void Read(long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_bufferedFd < 0, this);
        fixed (byte* start = destination)
        {
            foreach (TargetRun run in _map.GetRuns(offset, destination.Length))
            {
                if (_directReads)
                {
                    ReadDirect(start + run.DataOffset, run.Length, run.TargetOffset);
                }
                else
                {
                    ReadFully(start + run.DataOffset, run.Length, run.TargetOffset);
                }
            }
        }
    }

    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_bufferedFd < 0, this);
        FlushCalls++;
        // fdatasync on a block device also flushes the drive's volatile write cache. Direct
        // writes bypass the page cache but not that cache, so both descriptors are synced.
        DataSync(_bufferedFd);
        if (_directFd >= 0)
        {
            DataSync(_directFd);
        }
    }

    public void Dispose()
    {
        CloseFd(_directFd);
        CloseFd(_bufferedFd);
        _directFd = -1;
        _bufferedFd = -1;
    }

    private void DataSync(int fd)
    {
        while (LibC.fdatasync(fd) != 0)
        {
            int errno = Errors.LastErrno;
            if (errno != LibC.EINTR)
            {
                Errors.ThrowStorage("fdatasync", _path, errno);
            }
        }
    }

    private void ReadFully(byte* buffer, int count, long targetOffset)
    {
        long done = 0;
        while (done < count)
        {
            long n = LibC.pread(_bufferedFd, buffer + done, (size_t)(ulong)(count - done), targetOffset + done);
            if (n < 0)
            {
                int errno = Errors.LastErrno;
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                Errors.ThrowStorage("pread", _path, targetOffset + done, count - done, errno);
            }

            if (n == 0)
            {
                throw new StorageException($"pread at offset {targetOffset + done} on '{_path}' hit the end of the target.");
            }

            done += n;
        }
    }

    private enum TargetKind
    {
        Missing,
        BlockDevice,
        RegularFile,
        Other,
    }

    private static TargetKind Probe(string path)
    {
        stat st;
        byte[] name = Paths.ToNative(path);
        fixed (byte* p = name)
        {
            // stat follows symlinks, so /dev/disk/by-id/... names work.
            if (LibC.stat(p, &st) != 0)
            {
                int errno = Errors.LastErrno;
                if (errno == LibC.ENOENT)
                {
                    return TargetKind.Missing;
                }

                Errors.ThrowStorage("stat", path, errno);
            }
        }

        if (LibC.S_ISBLK(st.st_mode))
        {
            return TargetKind.BlockDevice;
        }

        if (LibC.S_ISREG(st.st_mode))
        {
            return TargetKind.RegularFile;
        }

        string what = LibC.S_ISDIR(st.st_mode) ? "a directory" : LibC.S_ISCHR(st.st_mode) ? "a character device" : "not a disk or file";
        throw Unsupported(path, $"it is {what}");
    }

    private static void RefuseIfMounted(string path)
    {
        stat st;
        fixed (byte* p = Paths.ToNative(path))
        {
            if (LibC.stat(p, &st) != 0)
            {
                Errors.ThrowStorage("stat", path, Errors.LastErrno);
            }
        }

        ulong rdev = st.st_rdev;
        string? mount = MountTable.FindMountUsing(DeviceNumbers.Major(rdev), DeviceNumbers.Minor(rdev));
        if (mount is not null)
        {
            throw new TargetRefusedException(TargetRefusalReason.Mounted,
                $"Refusing to write '{path}': {mount}. Unmount it first.");
        }
    }

    private static int OpenFd(string path, int flags, bool refuseBusy)
    {
        fixed (byte* p = Paths.ToNative(path))
        {
            while (true)
            {
                int fd = LibC.open(p, flags, 420 /* 0644 */);
                if (fd >= 0)
                {
                    return fd;
                }

                int errno = Errors.LastErrno;
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                if (refuseBusy && errno == LibC.EBUSY)
                {
                    throw new TargetRefusedException(TargetRefusalReason.InUse,
                        $"Refusing to write '{path}': the kernel reports it busy (mounted, swap, RAID or device-mapper member). {Errors.Describe(errno)}.");
                }

                Errors.ThrowStorage("open", path, errno);
            }
        }
    }

    /// <summary>Opens the O_DIRECT descriptor, or returns -1 when the file system has no direct I/O.</summary>
    private static int TryOpenDirect(string path, bool readOnly)
    {
        fixed (byte* p = Paths.ToNative(path))
        {
            while (true)
            {
                int fd = LibC.open(p, (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC | LibC.O_DIRECT, 0);
                if (fd >= 0)
                {
                    return fd;
                }

                int errno = Errors.LastErrno;
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                // tmpfs and some FUSE file systems refuse O_DIRECT with EINVAL: buffered only.
                if (errno == LibC.EINVAL || errno == LibC.EOPNOTSUPP)
                {
                    return -1;
                }

                Errors.ThrowStorage("open(O_DIRECT)", path, errno);
            }
        }
    }

    private static void CloseFd(int fd)
    {
        if (fd >= 0)
        {
            // close is not retried on EINTR on Linux: the descriptor is released either way.
            _ = LibC.close(fd);
        }
    }

    private static TargetRefusedException Unsupported(string path, string why) =>
        new(TargetRefusalReason.UnsupportedTargetType,
            $"Refusing target '{path}': {why}; a target must be a block device or a regular file.");
}
