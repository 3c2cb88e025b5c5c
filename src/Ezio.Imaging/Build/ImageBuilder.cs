using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Store;
using Ezio.Storage;

namespace Ezio.Imaging.Build;

/// <summary>
/// Streams disk segments (boot area, partitions) once, in disk order, into the three files of an
/// Ezio image: pieces.ezp (pieces compressed as they fill), &lt;name&gt;.torrent (offset layout:
/// one file per maximal run of used bytes, named by its absolute disk offset) and image.json.
/// Nothing uncompressed is ever written (unless a segment's observer writes Clonezilla slices);
/// memory is a few pieces (compressed in parallel) plus one read buffer.
/// </summary>
public static class ImageBuilder
{
    private const int ReadBuffer = 4 << 20;

    /// <summary>
    /// Builds the image into <paramref name="outputDirectory"/> (created if needed). The manifest
    /// must carry the name, source, disk and partition-table facts; the builder fills in the
    /// torrent facts. Segments must not overlap.
    /// </summary>
    public static ImageManifest Build(string outputDirectory, ImageManifest manifest, IReadOnlyList<DiskSegment> segments,
        ImageBuildOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(options);
        var ordered = segments.Where(s => s.UsedBytes > 0).OrderBy(s => s.DiskOffset).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i - 1].DiskOffset + ordered[i - 1].Extent > ordered[i].DiskOffset)
            {
                throw new ImageException(ImageError.Malformed, $"{ordered[i - 1].What} overlaps {ordered[i].What}.");
            }
        }
        long total = ordered.Sum(s => s.UsedBytes);
        if (total == 0)
        {
            throw new ImageException(ImageError.Malformed, "The image holds no used blocks at all.");
        }
        int pieceLength = options.PieceLength == 0 ? EzioImage.ChoosePieceLength(total) : options.PieceLength;

        Directory.CreateDirectory(outputDirectory);
        string storePath = Path.Combine(outputDirectory, EzioImage.PieceStoreFileName);
        string partialStore = storePath + ".partial";
        var runs = new List<(long Offset, long Length)>();
        using (var writer = new PieceStoreWriter(partialStore, pieceLength, total, options.CompressionLevel))
        {
            byte[] piece = writer.RentBuffer();
            int filled = 0;
            long done = 0;
            int maxBlock = ordered.Max(s => s.Source.BlockSize);
            var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(ReadBuffer, maxBlock));
            foreach (DiskSegment segment in ordered)
            {
                int blockSize = segment.Source.BlockSize;
                int n;
                while ((n = segment.Source.ReadRun(buffer, out long first)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long length = (long)n * blockSize;
                    long diskOffset = segment.DiskOffset + first * blockSize;
                    if (first + n > segment.Source.Map.TotalBlocks)
                    {
                        throw new ImageException(ImageError.Malformed, $"{segment.What} delivered blocks past its end.");
                    }
                    if (runs.Count > 0 && runs[^1].Offset + runs[^1].Length == diskOffset)
                    {
                        runs[^1] = (runs[^1].Offset, runs[^1].Length + length);
                    }
                    else
                    {
                        runs.Add((diskOffset, length));
                    }
                    ReadOnlySpan<byte> data = buffer.AsSpan(0, (int)length);
                    segment.Observer?.Append(first * blockSize, data);
                    while (!data.IsEmpty)
                    {
                        int take = Math.Min(data.Length, pieceLength - filled);
                        data[..take].CopyTo(piece.AsSpan(filled));
                        filled += take;
                        data = data[take..];
                        if (filled == pieceLength)
                        {
                            // The writer owns the full buffer from here on (hashed and compressed in parallel).
                            writer.Add(piece, filled);
                            piece = writer.RentBuffer();
                            filled = 0;
                        }
                    }
                    done += length;
                    options.Progress?.Report(new BuildProgress(done, total, segment.What));
                }
                segment.Observer?.Complete();
            }
            if (done != total)
            {
                throw new ImageException(ImageError.Malformed, $"The sources delivered {done} bytes where their maps promised {total}.");
            }
            if (filled > 0)
            {
                writer.Add(piece, filled);
            }
            writer.Flush();

            var files = runs.Select(r => ((IReadOnlyList<string>)[OffsetLayout.FormatName(r.Offset)], r.Length)).ToList();
            byte[] torrentBytes = TorrentBuilder.CreateFromHashes(manifest.Name, files, pieceLength, writer.Hashes, new TorrentBuildOptions
            {
                Announce = options.Announce,
                CreationDate = options.Created ?? manifest.Created,
                Comment = $"Ezio image {manifest.Name}",
                BlockRoots = writer.BlockRoots,
                // Disks of several sector sizes have no one size to record; each disk's is in image.json.
                LogicalSectorSize = manifest.Disks is { } disks && disks.Any(d => d.LogicalSectorSize != manifest.LogicalSectorSize)
                    ? null : manifest.LogicalSectorSize,
            });
            var torrent = Torrent.Parse(torrentBytes);
            writer.Complete(torrent.InfoHash.ToArray());

            manifest.Torrent = manifest.Name + ".torrent";
            manifest.InfoHash = torrent.InfoHash.ToString();
            manifest.PieceLength = pieceLength;
            manifest.PieceCount = torrent.PieceCount;
            manifest.TotalLength = total;
            manifest.StoreBytes = writer.StoredBytes;
            File.WriteAllBytes(Path.Combine(outputDirectory, manifest.Torrent), torrentBytes);
        }
        File.Move(partialStore, storePath, overwrite: true);
        manifest.Save(Path.Combine(outputDirectory, EzioImage.ManifestFileName));
        return manifest;
    }
}
