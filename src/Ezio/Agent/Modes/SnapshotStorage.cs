using Ezio.BitTorrent.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// Wraps the disk storage so seeding stays correct after post-steps edit the disk. Post-steps
/// (GPT backup relocation) rewrite bytes the torrent covers, such as the primary GPT header;
/// before they run, <see cref="Freeze"/> copies the torrent's view of those ranges into memory
/// and reads are served from the copy afterwards, so peers still get bytes that match the
/// piece hashes. Writes never happen after a freeze (the disk is complete by then).
/// </summary>
internal sealed class SnapshotStorage(ITorrentStorage inner) : ITorrentStorage
{
    private readonly List<(long Offset, byte[] Bytes)> _frozen = [];

    public ITorrentStorage Inner { get; } = inner;

    public long Length => Inner.Length;

    public bool MayHaveData => Inner.MayHaveData;

    /// <summary>Copies torrent bytes [offset, offset+length) so later disk edits are invisible to peers.</summary>
    public void Freeze(long offset, int length)
    {
        offset = Math.Clamp(offset, 0, Length);
        length = (int)Math.Min(length, Length - offset);
        if (length <= 0)
        {
            return;
        }
        var bytes = new byte[length];
        Inner.Read(offset, bytes);
        lock (_frozen)
        {
            _frozen.Add((offset, bytes));
        }
    }

    public void Read(long offset, Span<byte> destination)
    {
        Inner.Read(offset, destination);
        lock (_frozen)
        {
            foreach (var (start, bytes) in _frozen)
            {
                var from = Math.Max(start, offset);
                var to = Math.Min(start + bytes.Length, offset + destination.Length);
                if (from < to)
                {
                    bytes.AsSpan((int)(from - start), (int)(to - from)).CopyTo(destination[(int)(from - offset)..]);
                }
            }
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data) => Inner.Write(offset, data);

    public void Flush() => Inner.Flush();

    public void Dispose() => Inner.Dispose();
}
