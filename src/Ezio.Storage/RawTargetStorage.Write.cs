using Ezio.BitTorrent.Storage;
using Ezio.Storage.Interop;
using Tmds.Linux;

namespace Ezio.Storage;

public sealed unsafe partial class RawTargetStorage
{
    // Linux moves at most 0x7ffff000 bytes per read/write call; stay below it.
    private const int MaxIoChunk = 1 << 30;

    /// <summary>
    /// Writes one verified piece. Runs that are contiguous on the target (neighbouring extents)
    /// are written with one pwrite each; per run, the sector-aligned body goes through O_DIRECT
    /// and only the unaligned head and tail through the page cache.
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_bufferedFd < 0, this);
        if (_readOnly)
        {
            throw new StorageException($"'{_path}' was opened read-only.");
        }

        fixed (byte* start = data)
        {
            foreach (TargetRun run in _map.GetRuns(offset, data.Length))
            {
                WriteRun(start + run.DataOffset, run.Length, run.TargetOffset);
            }
        }
    }

    private void WriteRun(byte* source, int count, long targetOffset)
    {
        if (_directFd >= 0)
        {
            long end = targetOffset + count;
            long alignedStart = AlignUp(targetOffset, _sectorSize);
            long alignedEnd = end / _sectorSize * _sectorSize;
            byte* body = source + (alignedStart - targetOffset);
            // The body qualifies when it holds at least one sector and the memory it starts at
            // is sector-aligned too (O_DIRECT rejects misaligned buffers with EINVAL).
            if (alignedEnd > alignedStart && (nuint)body % (nuint)_sectorSize == 0)
            {
                WriteFully(_bufferedFd, source, alignedStart - targetOffset, targetOffset);
                WriteDirect(body, alignedEnd - alignedStart, alignedStart);
                WriteFully(_bufferedFd, source + (alignedEnd - targetOffset), end - alignedEnd, alignedEnd);
                return;
            }
        }

        WriteFully(_bufferedFd, source, count, targetOffset);
    }

    private void WriteDirect(byte* source, long count, long targetOffset)
    {
        long written = WriteLoop(_directFd, source, count, targetOffset, stopWhenUnaligned: true);
        DirectWriteCalls++;
        if (written < count)
        {
            // A short direct write left an unaligned remainder: finish it through the page cache.
            WriteFully(_bufferedFd, source + written, count - written, targetOffset + written);
        }
    }

    private void WriteFully(int fd, byte* source, long count, long targetOffset)
    {
        if (count == 0)
        {
            return;
        }

        WriteLoop(fd, source, count, targetOffset, stopWhenUnaligned: false);
        BufferedWriteCalls++;
    }

    /// <summary>pwrite until done, retrying EINTR and short counts; returns bytes written.</summary>
    private long WriteLoop(int fd, byte* source, long count, long targetOffset, bool stopWhenUnaligned)
    {
        long done = 0;
        while (done < count)
        {
            long chunk = Math.Min(count - done, MaxIoChunk);
            long n = LibC.pwrite(fd, source + done, (size_t)(ulong)chunk, targetOffset + done);
            if (n < 0)
            {
                int errno = Errors.LastErrno;
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                Errors.ThrowStorage(fd == _directFd ? "pwrite(O_DIRECT)" : "pwrite", _path, targetOffset + done, count - done, errno);
            }

            if (n == 0)
            {
                throw new StorageException($"pwrite at offset {targetOffset + done} on '{_path}' wrote nothing (device full or gone?).");
            }

            done += n;
            if (stopWhenUnaligned && done < count && done % _sectorSize != 0)
            {
                break;
            }
        }

        return done;
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
