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
    /// <summary>An LVM physical volume: label and metadata from lvm_&lt;VG&gt;.conf, data from its LVs' images.</summary>
    Lvm,
}

/// <summary>One partition (or logical volume, named &lt;VG&gt;-&lt;LV&gt;) of a Clonezilla image directory.</summary>
public sealed record ClonezillaPartition(string Name, string? FileSystem, PartitionContent Content, IReadOnlyList<string> Files)
{
    /// <summary>The UUID and label to recreate, for <see cref="PartitionContent.Swap"/>.</summary>
    public SwapSignature? Swap { get; init; }

    /// <summary>The decompressed stream of the partition's image (chunks concatenated first).</summary>
    public Stream OpenStream() => ImageStreams.OpenDecompressed(Files);
}

/// <summary>A file of the image directory Ezio cannot restore, and the devices it leaves empty.</summary>
public sealed record ImageProblem(string File, string Reason, IReadOnlyList<string> Devices)
{
    public override string ToString() => $"{File}: {Reason}";
}

/// <summary>A volume group of the image: its backup, and the image of each of its LVs.</summary>
public sealed record ClonezillaVolumeGroup(LvmVolumeGroup Group, string ConfPath, IReadOnlyDictionary<string, ClonezillaPartition> Volumes);

/// <summary>
/// A Clonezilla image directory (spec §8): `disk`, `parts`, `&lt;disk&gt;-pt.sf`, `&lt;disk&gt;-mbr`,
/// `&lt;disk&gt;-hidden-data-after-mbr`, and per partition `&lt;part&gt;.&lt;fs&gt;-ptcl-img.&lt;comp&gt;[.aa…]`;
/// swap as `swappt-&lt;part&gt;.info`; LVM as lvm_vg_dev.list, lvm_&lt;VG&gt;.conf and per LV
/// `&lt;VG&gt;-&lt;LV&gt;.&lt;fs&gt;-ptcl-img.…`. Every file must be one Ezio understands or one that
/// carries no partition data; anything else is an <see cref="ImageProblem"/>.
/// </summary>
public sealed partial class ClonezillaImage
{
    private ClonezillaImage(string directory, string disk, IReadOnlyList<string> disks, IReadOnlyList<ClonezillaPartition> partitions,
        IReadOnlyList<ClonezillaVolumeGroup> volumeGroups, IReadOnlyList<ImageProblem> problems)
    {
        Directory = directory;
        Disk = disk;
        Disks = disks;
        Partitions = partitions;
        VolumeGroups = volumeGroups;
        Problems = problems;
    }

    public string Directory { get; }

    /// <summary>The disk read (e.g. sda): the only one named in `disk`, or the one chosen (see <see cref="ClonezillaDisks"/>).</summary>
    public string Disk { get; }

    /// <summary>Every disk the image directory names (`disk`), <see cref="Disk"/> among them.</summary>
    public IReadOnlyList<string> Disks { get; }

    /// <summary>Partitions with an image, swap partitions and LVM PVs.</summary>
    public IReadOnlyList<ClonezillaPartition> Partitions { get; }

    /// <summary>The volume groups Ezio can restore (every LV linear).</summary>
    public IReadOnlyList<ClonezillaVolumeGroup> VolumeGroups { get; }

    /// <summary>What cannot be restored; non-empty only when opened with allowPartial.</summary>
    public IReadOnlyList<ImageProblem> Problems { get; }

    public string? PartitionTablePath => Existing($"{Disk}-pt.sf");
    public string? MbrPath => Existing($"{Disk}-mbr");
    public string? HiddenDataPath => Existing($"{Disk}-hidden-data-after-mbr");
    public string? GptPrimaryPath => Existing($"{Disk}-gpt-1st");
    public string? GptBackupPath => Existing($"{Disk}-gpt-2nd");

    /// <summary>Why <paramref name="device"/> (a partition, or VG/LV) will be left empty, or null.</summary>
    public string? LeftEmpty(string device)
    {
        var reasons = Problems.Where(p => p.Devices.Contains(device)).Select(p => p.ToString()).ToList();
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>
    /// Reads the directory: its only disk, or <paramref name="disk"/> of an image of several
    /// (the other disks' files are then known, not unknown). Any file that is neither understood
    /// nor known to carry no partition data fails the open (naming every such file) unless
    /// <paramref name="allowPartial"/> is set; then it is listed in <see cref="Problems"/> with
    /// the devices it leaves empty.
    /// </summary>
    public static ClonezillaImage Open(string directory, string? disk = null, bool allowPartial = false)
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
        var scan = new DirectoryScan(full);
        // The LVM files are the whole image's: a disk's pass keeps the volume groups with a PV on it.
        var groups = ReadVolumeGroups(scan)
            .Where(g => disks.Length == 1 || g.Group.PhysicalVolumes.Any(p => ClonezillaDisks.IsPartitionOf(p.Device, chosen)))
            .ToList();
        var pvs = groups.SelectMany(g => g.Group.PhysicalVolumes).Select(p => p.Device).ToHashSet(StringComparer.Ordinal);
        var partitions = new List<ClonezillaPartition>();
        foreach (string part in parts)
        {
            if (pvs.Contains(part))
            {
                partitions.Add(new ClonezillaPartition(part, "LVM2_member", PartitionContent.Lvm, []));
            }
            else if (FindImage(scan, part) is ClonezillaPartition found)
            {
                partitions.Add(found);
            }
            else if (!scan.Names.Contains($"swappt-{part}.info") && !scan.Problems.Any(p => p.Devices.Contains(part)))
            {
                scan.Problems.Add(new ImageProblem("parts", $"lists {part}, but the directory holds no image of it", [part]));
            }
        }
        var lvNames = groups.SelectMany(g => g.Volumes.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (string name in scan.Names.Where(n => !scan.Claimed.Contains(n)).ToList())
        {
            // The files of the other disks are theirs to read (see ClonezillaDisks.DiskOfFile).
            if (ClonezillaDisks.DiskOfFile(name, disks) is string other && other != chosen)
            {
                scan.Claimed.Add(name);
                continue;
            }
            Match swap = SwapInfoName().Match(name);
            if (swap.Success && !lvNames.Contains(swap.Groups["dev"].Value))
            {
                string dev = swap.Groups["dev"].Value;
                scan.Claimed.Add(name);
                partitions.RemoveAll(p => p.Name == dev);
                partitions.Add(new ClonezillaPartition(dev, "swap", PartitionContent.Swap, [])
                {
                    Swap = SwapSignature.Parse(File.ReadAllText(Path.Combine(full, name)), name),
                });
            }
        }
        ClassifyTheRest(scan, disks);
        // A device something cannot be restored for gets nothing, not half of what it had.
        partitions.RemoveAll(p => scan.Problems.Any(x => x.Devices.Contains(p.Name)));
        if (scan.Problems.Count > 0 && !allowPartial)
        {
            throw new ImageException(ImageError.NotSupported,
                $"{full} holds what Ezio cannot restore (--allow-partial imports the rest and leaves these empty):\n  " +
                string.Join("\n  ", scan.Problems));
        }
        return new ClonezillaImage(full, chosen, disks, partitions, groups, scan.Problems);
    }

    /// <summary>lvm_vg_dev.list ("VG /dev/PV UUID" per line) and one lvm_&lt;VG&gt;.conf per VG.</summary>
    private static List<ClonezillaVolumeGroup> ReadVolumeGroups(DirectoryScan scan)
    {
        var groups = new List<ClonezillaVolumeGroup>();
        string list = Path.Combine(scan.Directory, "lvm_vg_dev.list");
        if (!File.Exists(list))
        {
            return groups;
        }
        scan.Claimed.Add("lvm_vg_dev.list");
        scan.Claimed.Add("lvm_logv.list");
        var lines = File.ReadAllLines(list).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 0).ToList();
        foreach (var vg in lines.GroupBy(w => w[0]))
        {
            var devices = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string[] w in vg.Where(w => w.Length >= 3))
            {
                if (!devices.TryAdd(w[2], w[1].StartsWith("/dev/", StringComparison.Ordinal) ? w[1][5..].Replace('/', '-') : w[1]))
                {
                    throw new ImageException(ImageError.Malformed, $"lvm_vg_dev.list names physical volume {w[2]} twice.");
                }
            }
            string confName = $"lvm_{vg.Key}.conf";
            string conf = Path.Combine(scan.Directory, confName);
            if (vg.Key == "/NOT_FOUND" || !File.Exists(conf))
            {
                scan.Problems.Add(new ImageProblem("lvm_vg_dev.list", $"volume group {vg.Key} has no {confName}", devices.Values.ToList()));
                continue;
            }
            scan.Claimed.Add(confName);
            var group = LvmVolumeGroup.Parse(vg.Key, File.ReadAllText(conf), confName, devices);
            var pvParts = group.PhysicalVolumes.Select(p => p.Device).ToList();
            if (group.Unsupported is string why)
            {
                ClaimVolumeImages(scan, group);
                scan.Problems.Add(new ImageProblem(confName, why, pvParts));
                continue;
            }
            var volumes = new Dictionary<string, ClonezillaPartition>(StringComparer.Ordinal);
            foreach (LvmLogicalVolume lv in group.LogicalVolumes.Where(l => l.Visible))
            {
                string dev = $"{group.Name}-{lv.Name}";
                if (FindImage(scan, dev) is ClonezillaPartition image)
                {
                    volumes[dev] = image;
                }
                else if (scan.Names.Contains($"swappt-{dev}.info"))
                {
                    scan.Claimed.Add($"swappt-{dev}.info");
                    volumes[dev] = new ClonezillaPartition(dev, "swap", PartitionContent.Swap, [])
                    {
                        Swap = SwapSignature.Parse(File.ReadAllText(Path.Combine(scan.Directory, $"swappt-{dev}.info")), $"swappt-{dev}.info"),
                    };
                }
                else if (!scan.Problems.Any(p => p.Devices.Contains(dev)))
                {
                    scan.Problems.Add(new ImageProblem(confName, $"logical volume {group.Name}/{lv.Name} has no image", [dev]));
                }
            }
            groups.Add(new ClonezillaVolumeGroup(group, conf, volumes));
        }
        return groups;
    }

    /// <summary>The images of a refused VG's LVs are accounted for by the VG's refusal.</summary>
    private static void ClaimVolumeImages(DirectoryScan scan, LvmVolumeGroup group)
    {
        foreach (string name in scan.Names.Where(n => n.StartsWith(group.Name + "-", StringComparison.Ordinal) || n.StartsWith($"swappt-{group.Name}-", StringComparison.Ordinal)))
        {
            scan.Claimed.Add(name);
        }
    }

    /// <summary>
    /// The image of <paramref name="dev"/>: `&lt;dev&gt;.&lt;fs&gt;-ptcl-img.&lt;comp&gt;[.aa…]` or the old
    /// `&lt;dev&gt;.&lt;fs&gt;-img[.aa…]` (fs "dd" = raw bytes). Unusable images become problems.
    /// </summary>
    private static ClonezillaPartition? FindImage(DirectoryScan scan, string dev)
    {
        var found = new List<(string Name, ImageFileName Parsed)>();
        foreach (string name in scan.Names.Where(n => n.StartsWith(dev + ".", StringComparison.Ordinal)))
        {
            string rest = name[(dev.Length + 1)..];
            if (InfoFileName().IsMatch(rest))
            {
                scan.Claimed.Add(name);
                continue;
            }
            if (ImageFileName.TryParse(rest) is ImageFileName parsed)
            {
                found.Add((name, parsed));
                scan.Claimed.Add(name);
            }
        }
        string? partimage = scan.Names.FirstOrDefault(n => n == $"{dev}.aa" || n == $"{dev}.000" || n.StartsWith($"{dev}.aa.", StringComparison.Ordinal));
        if (found.Count == 0)
        {
            if (partimage is not null)
            {
                scan.Claimed.UnionWith(scan.Names.Where(n => n.StartsWith(dev + ".", StringComparison.Ordinal)));
                scan.Problems.Add(new ImageProblem(partimage, "a partimage image; Ezio reads partclone images only", [dev]));
            }
            return null;
        }
        var stems = found.GroupBy(f => f.Parsed.Split is null ? f.Name : f.Name[..f.Name.LastIndexOf('.')]).ToList();
        if (stems.Count > 1)
        {
            scan.Problems.Add(new ImageProblem(stems[1].First().Name, $"a second image of {dev} (besides {stems[0].First().Name})", [dev]));
            return null;
        }
        ImageFileName first = found[0].Parsed;
        string fs = first.FileSystem;
        var files = found.Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
        if (first.Kind == "img" && fs != "dd")
        {
            string what = fs == "ntfs" ? "an ntfsclone image" : $"an old {fs} image";
            scan.Problems.Add(new ImageProblem(files[0], $"{what}; Ezio reads partclone images only", [dev]));
            return null;
        }
        if (first.Compression is string comp && CompressionDetector.FromSuffix(comp) is null)
        {
            scan.Problems.Add(new ImageProblem(files[0], $"compressed with '{comp}', which Ezio cannot decompress", [dev]));
            return null;
        }
        if (first.Split is not null && SplitGap(scan.Directory, files) is string gap)
        {
            scan.Problems.Add(new ImageProblem(files[0], gap, [dev]));
            return null;
        }
        bool raw = fs == "dd";
        return new ClonezillaPartition(dev, raw ? null : fs, raw ? PartitionContent.Raw : PartitionContent.Partclone,
            files.Select(f => Path.Combine(scan.Directory, f)).ToList());
    }

    /// <summary>
    /// A split set (split -b N: .aa, .ab, …) must run from .aa without a gap, and every volume
    /// but the last must have the first one's size; otherwise one is missing or truncated.
    /// </summary>
    private static string? SplitGap(string directory, List<string> files)
    {
        for (int i = 0; i < files.Count; i++)
        {
            string suffix = files[i][(files[i].LastIndexOf('.') + 1)..];
            if (suffix != SplitSuffix(i, suffix.Length))
            {
                return $"volume .{SplitSuffix(i, suffix.Length)} of the split set is missing (found .{suffix} in its place)";
            }
        }
        long size = new FileInfo(Path.Combine(directory, files[0])).Length;
        for (int i = 1; i < files.Count; i++)
        {
            long length = new FileInfo(Path.Combine(directory, files[i])).Length;
            if (length > size || (i < files.Count - 1 && length != size))
            {
                return $"{files[i]} is {length} bytes where the split set's volumes are {size}: a volume is truncated";
            }
        }
        return null;
    }

    private static string SplitSuffix(int index, int width)
    {
        var letters = new char[width];
        for (int k = width - 1; k >= 0; k--)
        {
            letters[k] = (char)('a' + index % 26);
            index /= 26;
        }
        return new string(letters);
    }

    private static string[] ReadWords(string path) =>
        File.Exists(path) ? File.ReadAllText(path).Split([' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries) : [];

    private string? Existing(string name)
    {
        string path = Path.Combine(Directory, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The files of the directory and which of them are accounted for.</summary>
    private sealed class DirectoryScan(string directory)
    {
        public string Directory { get; } = directory;

        public HashSet<string> Names { get; } = System.IO.Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);

        public HashSet<string> Claimed { get; } = new(StringComparer.Ordinal);

        public List<ImageProblem> Problems { get; } = [];
    }

    /// <summary>What follows the device name: &lt;fs&gt;-ptcl-img[.&lt;comp&gt;][.aa] or the old &lt;fs&gt;-img[.&lt;comp&gt;][.aa].</summary>
    private sealed partial record ImageFileName(string FileSystem, string Kind, string? Compression, string? Split)
    {
        public static ImageFileName? TryParse(string rest)
        {
            Match m = Pattern().Match(rest);
            if (!m.Success)
            {
                return null;
            }
            string[] tail = m.Groups["tail"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries);
            string kind = m.Groups["kind"].Value;
            // ptcl-img always names its compression first; the old -img may go straight to the split suffix.
            bool firstIsCompression = tail.Length == 2 || (tail.Length == 1 && (kind == "ptcl-img" || CompressionDetector.FromSuffix(tail[0]) is not null));
            string? comp = firstIsCompression ? tail[0] : null;
            string? split = tail.Length == 2 ? tail[1] : tail.Length == 1 && !firstIsCompression ? tail[0] : null;
            if (tail.Length > 2 || (split is not null && !SplitPattern().IsMatch(split)))
            {
                return null;
            }
            return new ImageFileName(m.Groups["fs"].Value, kind, comp, split);
        }

        [GeneratedRegex(@"^(?<fs>[A-Za-z0-9_]+)-(?<kind>ptcl-img|img)(?<tail>(\.[a-z0-9]+)*)$")]
        private static partial Regex Pattern();

        [GeneratedRegex("^[a-z]{2,}$")]
        private static partial Regex SplitPattern();
    }

    // sda1.dd-img.info, sda1.files-md5sum.info.gz: notes beside an image, no partition data.
    [GeneratedRegex(@"^(dd-img\.info|files-[a-z0-9]+sum\.info\.gz)$")]
    private static partial Regex InfoFileName();

    [GeneratedRegex(@"^swappt-(?<dev>.+)\.info$")]
    private static partial Regex SwapInfoName();
}
