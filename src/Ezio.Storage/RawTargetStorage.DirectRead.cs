using System.Runtime.InteropServices;
using Ezio.BitTorrent.Storage;
using Ezio.Storage.Interop;
using Tmds.Linux;

namespace Ezio.Storage;

public sealed unsafe partial class RawTargetStorage
{
    // One bounce buffer per call, at most this large: a multiple of every sector size.
    private const int DirectReadChunk = 1 << 20;

    /// <summary>Reads that fell back to the page cache because O_DIRECT refused them (EINVAL).</summary>
    public long DirectReadFallbacks { get; private set; }

    /// <summary>
    /// Reads a run through the O_DIRECT descriptor: the sector-aligned span around it goes into
    /// an aligned bounce buffer (destinations are not aligned), and the wanted bytes are copied
    /// out. The device answers, not the page cache. A target that refuses a direct read with
    /// EINVAL is read buffered from then on.
    /// </summary>
    private void ReadDirect(byte* destination, int count, long targetOffset)
    {
        long end = targetOffset + count;
        long position = targetOffset / _sectorSize * _sectorSize;
        long alignedEnd = AlignUp(end, _sectorSize);
        int capacity = (int)Math.Min(alignedEnd - position, DirectReadChunk);
        byte* bounce = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, (nuint)Math.Max(_sectorSize, 4096));
        try
        {
            while (position < end)
            {
                int want = (int)Math.Min(alignedEnd - position, capacity);
                long n = LibC.pread(_directFd, bounce, (size_t)(ulong)want, position);
                if (n < 0)
                {
                    int errno = Errors.LastErrno;
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    if (errno == LibC.EINVAL)
                    {
                        _directReads = false;
                        DirectReadFallbacks++;
                        long from = Math.Max(position, targetOffset);
                        ReadFully(destination + (from - targetOffset), (int)(end - from), from);
                        return;
                    }

                    Errors.ThrowStorage("pread(O_DIRECT)", _path, position, want, errno);
                }

                // The wanted part of what came back: [max(position, targetOffset), min(position + n, end)).
                long copyFrom = Math.Max(position, targetOffset);
                long copyTo = Math.Min(position + n, end);
                if (copyTo > copyFrom)
                {
                    Buffer.MemoryCopy(bounce + (copyFrom - position), destination + (copyFrom - targetOffset), copyTo - copyFrom, copyTo - copyFrom);
                }

                if (position + n >= end)
                {
                    return;
                }

                if (n < want)
                {
                    throw new StorageException($"pread at offset {position + n} on '{_path}' hit the end of the target.");
                }

                position += n;
            }
        }
        finally
        {
            NativeMemory.AlignedFree(bounce);
        }
    }
}
