using System.Text.RegularExpressions;

namespace Ezio.Imaging.Clonezilla;

/// <summary>What a Clonezilla image directory holds for one partition.</summary>
public enum PartitionContent
{
    /// <summary>A partclone image (format 0001/0002), possibly compressed and split.</summary>
    Partclone,
    /// <summary>Raw device bytes (partclone.dd, old dd images): every block used.</summary>
    Raw,
    /// <summary>A swap partition: only swappt-&lt;dev&gt;.info, recreated rather than imaged.</summary>
    Swap,
    /// <summary>No data (an extended partition container).</summary>
    None,
}

/// <summary>One partition of a Clonezilla image directory.</summary>
public sealed record ClonezillaPartition(string Name, string? FileSystem, PartitionContent Content, IReadOnlyList<string> Files)
{
    /// <summary>The decompressed stream of the partition's image (chunks concatenated first).</summary>
    public Stream OpenStream() => ImageStreams.OpenDecompressed(Files);
}

/// <summary>
/// A Clonezilla image directory (spec §8): `disk`, `parts`, `&lt;disk&gt;-pt.sf`, `&lt;disk&gt;-mbr`,
/// `&lt;disk&gt;-hidden-data-after-mbr`, and per partition `&lt;part&gt;.&lt;fs&gt;-ptcl-img.&lt;comp&gt;[.aa…]`.
/// </summary>
public sealed partial class ClonezillaImage
{
    private ClonezillaImage(string directory, string disk, IReadOnlyList<ClonezillaPartition> partitions)
    {
        Directory = directory;
        Disk = disk;
        Partitions = partitions;
    }

    public string Directory { get; }

    /// <summary>The disk read (e.g. sda): the only one named in `disk`, or the one chosen (see <see cref="ClonezillaDisks"/>).</summary>
    public string Disk { get; }

    public IReadOnlyList<ClonezillaPartition> Partitions { get; }

    public string? PartitionTablePath => Existing($"{Disk}-pt.sf");
    public string? MbrPath => Existing($"{Disk}-mbr");
    public string? HiddenDataPath => Existing($"{Disk}-hidden-data-after-mbr");
    public string? GptPrimaryPath => Existing($"{Disk}-gpt-1st");
    public string? GptBackupPath => Existing($"{Disk}-gpt-2nd");

    public static ClonezillaImage Open(string directory, string? disk = null)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw new ImageException(ImageError.Malformed, $"No such image directory: {directory}.");
        }
        string[] disks = ReadWords(Path.Combine(full, "disk"));
        string[] parts = ReadWords(Path.Combine(full, "parts"));
        if (disks.Length == 0)
        {
            throw new ImageException(ImageError.Malformed, $"{full}/disk names no disk (partition-only images are not supported).");
        }
        string chosen = ClonezillaDisks.Choose(full, disks, disk);
        if (disks.Length > 1)
        {
            parts = ClonezillaDisks.PartitionsOf(parts, chosen).ToArray();
        }
        string[] names = System.IO.Directory.GetFiles(full).Select(Path.GetFileName).OfType<string>().ToArray();
        var partitions = parts.Select(p => FindPartition(full, p, names)).ToList();
        return new ClonezillaImage(full, chosen, partitions);
    }

    private static ClonezillaPartition FindPartition(string directory, string part, string[] names)
    {
        var found = names.Select(n => (Name: n, Match: ImageName().Match(n)))
            .Where(x => x.Match.Success && x.Match.Groups["dev"].Value == part)
            .ToList();
        if (found.Count > 0)
        {
            string kind = found[0].Match.Groups["kind"].Value;
            string fs = found[0].Match.Groups["fs"].Value;
            string stem = found[0].Name;
            if (found[0].Match.Groups["split"].Success)
            {
                stem = stem[..stem.LastIndexOf('.')];
            }
            List<string> files = names.Where(n => n == stem || (n.StartsWith(stem + ".", StringComparison.Ordinal) && IsSplitSuffix(n[(stem.Length + 1)..])))
                .Order(StringComparer.Ordinal).Select(n => Path.Combine(directory, n)).ToList();
            if (fs == "ntfs" && kind == "img")
            {
                throw new ImageException(ImageError.NotSupported,
                    $"{Path.Combine(directory, found[0].Name)} is an ntfsclone image; Ezio reads partclone images only.");
            }
            bool raw = fs == "dd";
            return new ClonezillaPartition(part, raw ? null : fs, raw ? PartitionContent.Raw : PartitionContent.Partclone, files);
        }
        if (names.Contains($"swappt-{part}.info"))
        {
            return new ClonezillaPartition(part, "swap", PartitionContent.Swap, []);
        }
        string? partimage = names.FirstOrDefault(n => n == $"{part}.aa" || n == $"{part}.000" || n.StartsWith($"{part}.aa.", StringComparison.Ordinal));
        if (partimage is not null)
        {
            throw new ImageException(ImageError.NotSupported,
                $"{Path.Combine(directory, partimage)} looks like a partimage image; Ezio reads partclone images only.");
        }
        return new ClonezillaPartition(part, null, PartitionContent.None, []);
    }

    private static bool IsSplitSuffix(string suffix) => suffix.Length >= 2 && suffix.All(char.IsAsciiLetterLower);

    private static string[] ReadWords(string path) =>
        File.Exists(path) ? File.ReadAllText(path).Split((char[])[' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries) : [];

    private string? Existing(string name)
    {
        string path = Path.Combine(Directory, name);
        return File.Exists(path) ? path : null;
    }

    // <dev>.<fs>-ptcl-img.<comp>[.aa]  or the old  <dev>.<fs>-img[.aa]  (fs "dd" = raw bytes).
    [GeneratedRegex(@"^(?<dev>[^.]+)\.(?<fs>[A-Za-z0-9_]+)-(?<kind>ptcl-img|img)(\.(?<comp>gz|zst|xz|lzma|bz2|lz4|lzo|lzip|lrz|uncomp))?(?<split>\.[a-z]{2,})?$")]
    private static partial Regex ImageName();
}
