using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Ezio.BitTorrent.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Metainfo;

/// <summary>
/// The demo torrent Clonezilla built for a partclone'd ext4 partition (see
/// specs/partclone-btfiles.md §5), checked against partclone's own torrent.info.
/// </summary>
public sealed partial class ClonezillaTorrentTests
{
    private static readonly string _fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    [GeneratedRegex("^offset: ([0-9a-f]{32})$", RegexOptions.Multiline)]
    private static partial Regex OffsetLine();

    [GeneratedRegex("^length: ([0-9a-f]{32})$", RegexOptions.Multiline)]
    private static partial Regex LengthLine();

    [GeneratedRegex("^sha1: ([0-9a-f]{40})$", RegexOptions.Multiline)]
    private static partial Regex Sha1Line();

    [Fact]
    public void Parse_ClonezillaTorrent_MatchesTorrentInfo()
    {
        var torrent = Torrent.Load(Path.Combine(_fixtures, "sda1.torrent"));
        string info = File.ReadAllText(Path.Combine(_fixtures, "sda1.torrent.info"));
        // torrent.info may print a sha1 line late, so each kind of line is collected on its own.
        string[] offsets = OffsetLine().Matches(info).Select(m => m.Groups[1].Value).ToArray();
        long[] lengths = LengthLine().Matches(info).Select(m => Convert.ToInt64(m.Groups[1].Value, 16)).ToArray();
        string[] hashes = Sha1Line().Matches(info).Select(m => m.Groups[1].Value).ToArray();

        Assert.Equal("c3a69d5d437eed6f4d2fc4d3902ad1320babf79a", torrent.InfoHash.ToString());
        Assert.Equal("sda1", torrent.Name);
        Assert.True(torrent.IsMultiFile);
        Assert.False(torrent.IsPrivate);
        Assert.Equal(16 * 1024 * 1024, torrent.PieceLength);
        Assert.Equal("http://127.0.0.1:6969/announce", torrent.Announce);
        Assert.Equal("Clonezilla", torrent.CreatedBy);
        Assert.Equal(4, torrent.Files.Count);
        Assert.Equal(offsets, torrent.Files.Select(f => f.Path));
        Assert.All(torrent.Files, f => Assert.Matches("^[0-9a-f]{32}$", f.Path));
        Assert.Equal(lengths, torrent.Files.Select(f => f.Length));
        Assert.Equal(lengths.Sum(), torrent.TotalLength);
        Assert.Equal(19_992_576, torrent.TotalLength);
        Assert.Equal(hashes.Length, torrent.PieceCount);
        Assert.Equal(hashes, Enumerable.Range(0, torrent.PieceCount).Select(i => Convert.ToHexStringLower(torrent.GetPieceHash(i))));
    }

    [Fact]
    public void Create_FromClonezillaSlices_ReproducesInfoHash()
    {
        // The four FSBT slice files, hashed by our builder with Clonezilla's settings, must give
        // the same info dictionary byte for byte, hence the same info-hash.
        var slices = new List<(string Name, byte[] Bytes)>();
        using (var gzip = new GZipStream(File.OpenRead(Path.Combine(_fixtures, "sda1-fsbt-files.tar.gz")), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is TarEntry entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null)
                {
                    using var memory = new MemoryStream();
                    entry.DataStream.CopyTo(memory);
                    slices.Add((Path.GetFileName(entry.Name), memory.ToArray()));
                }
            }
        }
        slices.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        byte[] stream = slices.SelectMany(s => s.Bytes).ToArray();

        byte[] bytes = TorrentBuilder.Create("sda1",
            slices.Select(s => ((IReadOnlyList<string>)[s.Name], (long)s.Bytes.Length)).ToList(),
            (offset, destination) => stream.AsSpan((int)offset, destination.Length).CopyTo(destination),
            new TorrentBuildOptions { PieceLength = 16 * 1024 * 1024, Announce = ["http://127.0.0.1:6969/announce"], CreatedBy = "Clonezilla" });

        var ours = Torrent.Parse(bytes);
        var theirs = Torrent.Load(Path.Combine(_fixtures, "sda1.torrent"));
        Assert.Equal(theirs.InfoBytes.ToArray(), ours.InfoBytes.ToArray());
        Assert.Equal(theirs.InfoHash, ours.InfoHash);
    }
}
