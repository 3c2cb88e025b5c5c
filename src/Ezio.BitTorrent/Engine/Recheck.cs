using System.Buffers;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;

namespace Ezio.BitTorrent.Engine;

/// <summary>Hashes what a storage already holds, to resume or redeploy over an older copy.</summary>
internal sealed class Recheck
{
    private readonly Torrent _torrent;
    private readonly ITorrentStorage _storage;

    public Recheck(Torrent torrent, ITorrentStorage storage)
    {
        _torrent = torrent;
        _storage = storage;
    }

    /// <summary>Every piece's verdict, on up to four threads: before the swarm starts.</summary>
    public bool[] All(CancellationToken cancellationToken)
    {
        var have = new bool[_torrent.PieceCount];
        var next = -1;
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, 4));
        Parallel.For(0, workers, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers }, _ =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(_torrent.PieceLength);
            try
            {
                int index;
                // Shared among the workers: each takes the next piece.
                while ((index = Interlocked.Increment(ref next)) < _torrent.PieceCount)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    have[index] = Verify(index, buffer);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
        return have;
    }

    /// <summary>
    /// Verdicts in piece order, <paramref name="batchSize"/> at a time, while the swarm runs:
    /// the first pieces are settled first, so downloading can start there. The last batch
    /// comes with done set (also when empty).
    /// </summary>
    public void InOrder(Action<(int Index, bool Ok)[], bool> report, int batchSize, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_torrent.PieceLength);
        var batch = new List<(int, bool)>(batchSize);
        try
        {
            for (var index = 0; index < _torrent.PieceCount; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Add((index, Verify(index, buffer)));
                if (batch.Count == batchSize)
                {
                    report(batch.ToArray(), false);
                    batch.Clear();
                }
            }
            report(batch.ToArray(), true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool Verify(int index, byte[] buffer)
    {
        try
        {
            return _storage.ReadAndVerify(_torrent, index, buffer);
        }
        catch (StorageException)
        {
            // Past the end of a short source, or a file that is not there: missing.
            return false;
        }
    }
}
