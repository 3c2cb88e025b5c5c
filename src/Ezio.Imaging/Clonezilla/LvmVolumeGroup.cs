namespace Ezio.Imaging.Clonezilla;

// What a VG's backup (lvm_<VG>.conf) says about where each LV lives (LVM2 metadata, linear LVs):
//
//   extent_size = 8192                                   sectors of 512 bytes
//   physical_volumes { pv0 { id = "<uuid>" pe_start = 2048 pe_count = 43 } }
//   logical_volumes { root { status = [..., "VISIBLE"]
//       segment1 { start_extent = 0 extent_count = 30 type = "striped" stripe_count = 1
//                  stripes = [ "pv0", 0 ] } } }
//
//   LV byte (start_extent * extent_size * 512 + x) lives on pv0 at byte
//   (pe_start + pv_extent * extent_size) * 512 + x, for x < extent_count * extent_size * 512.

/// <summary>A PV of a VG: which partition it is and where its extents begin (sectors of 512 bytes).</summary>
public sealed record LvmPhysicalVolume(string Key, string Uuid, string Device, long PeStart, long PeCount, long BootloaderStart, long BootloaderSize);

/// <summary>A linear run of an LV: <see cref="ExtentCount"/> extents from LV extent <see cref="StartExtent"/>, on a PV from its extent <see cref="PvExtent"/>.</summary>
public sealed record LvmSegment(long StartExtent, long ExtentCount, string PhysicalVolume, long PvExtent);

/// <summary>An LV whose segments are all linear.</summary>
public sealed record LvmLogicalVolume(string Name, bool Visible, IReadOnlyList<LvmSegment> Segments)
{
    public long ExtentCount => Segments.Sum(s => s.ExtentCount);
}

/// <summary>A volume group read from its `vgcfgbackup` text.</summary>
public sealed class LvmVolumeGroup
{
    public const int Sector = 512;

    private LvmVolumeGroup(string name, string text, LvmConfigSection root, LvmConfigSection vg, long extentSize,
        IReadOnlyList<LvmPhysicalVolume> pvs, IReadOnlyList<LvmLogicalVolume> lvs, string? unsupported)
    {
        Name = name;
        Text = text;
        Root = root;
        Section = vg;
        ExtentSize = extentSize;
        PhysicalVolumes = pvs;
        LogicalVolumes = lvs;
        Unsupported = unsupported;
    }

    public string Name { get; }

    /// <summary>The backup file's text, as `vgcfgbackup` wrote it.</summary>
    public string Text { get; }

    internal LvmConfigSection Root { get; }

    internal LvmConfigSection Section { get; }

    /// <summary>Extent size in 512-byte sectors.</summary>
    public long ExtentSize { get; }

    public long ExtentBytes => ExtentSize * Sector;

    public IReadOnlyList<LvmPhysicalVolume> PhysicalVolumes { get; }

    /// <summary>The linear LVs (all of them when <see cref="Unsupported"/> is null).</summary>
    public IReadOnlyList<LvmLogicalVolume> LogicalVolumes { get; }

    /// <summary>Why Ezio cannot restore this VG (an LV that is not linear), or null.</summary>
    public string? Unsupported { get; }

    /// <summary>
    /// Parses lvm_&lt;VG&gt;.conf. <paramref name="pvDevices"/> maps PV UUIDs to the partitions
    /// lvm_vg_dev.list names for them (e.g. sda3).
    /// </summary>
    public static LvmVolumeGroup Parse(string name, string text, string what, IReadOnlyDictionary<string, string> pvDevices)
    {
        ArgumentNullException.ThrowIfNull(pvDevices);
        var root = LvmConfigSection.Parse(text, what);
        LvmConfigSection vg = root.Section(name) ?? throw new ImageException(ImageError.Malformed, $"{what} has no section for volume group {name}.");
        long extentSize = vg.Integer("extent_size") is long e and > 0 ? e : throw Bad(what, "extent_size");
        var pvs = new List<LvmPhysicalVolume>();
        foreach ((string key, LvmConfigSection pv) in vg.Section("physical_volumes")?.Sections ?? [])
        {
            string uuid = pv.String("id") ?? throw Bad(what, $"{key} id");
            if (!pvDevices.TryGetValue(uuid, out string? device))
            {
                throw new ImageException(ImageError.Malformed, $"{what}: physical volume {uuid} ({pv.String("device")}) is not in lvm_vg_dev.list.");
            }
            pvs.Add(new LvmPhysicalVolume(key, uuid, device,
                pv.Integer("pe_start") ?? throw Bad(what, $"{key} pe_start"),
                pv.Integer("pe_count") ?? throw Bad(what, $"{key} pe_count"),
                pv.Integer("ba_start") ?? 0, pv.Integer("ba_size") ?? 0));
        }
        var lvs = new List<LvmLogicalVolume>();
        string? unsupported = null;
        foreach ((string lvName, LvmConfigSection lv) in vg.Section("logical_volumes")?.Sections ?? [])
        {
            bool visible = lv.List("status")?.Contains("VISIBLE") == true;
            var segments = new List<LvmSegment>();
            foreach ((string segName, LvmConfigSection seg) in lv.Sections.Where(s => s.Name.StartsWith("segment", StringComparison.Ordinal)))
            {
                string type = seg.String("type") ?? throw Bad(what, $"{lvName}/{segName} type");
                long stripeCount = seg.Integer("stripe_count") ?? 0;
                if (type != "striped" || stripeCount != 1)
                {
                    unsupported ??= $"logical volume {name}/{lvName} is {Describe(type, stripeCount, seg)}; Ezio restores linear logical volumes only";
                    continue;
                }
                IReadOnlyList<object> stripes = seg.List("stripes") ?? throw Bad(what, $"{lvName}/{segName} stripes");
                if (stripes is not [string pvKey, long pvExtent] || pvs.All(p => p.Key != pvKey))
                {
                    throw Bad(what, $"{lvName}/{segName} stripes");
                }
                segments.Add(new LvmSegment(seg.Integer("start_extent") ?? throw Bad(what, $"{lvName}/{segName} start_extent"),
                    seg.Integer("extent_count") ?? throw Bad(what, $"{lvName}/{segName} extent_count"), pvKey, pvExtent));
            }
            foreach (LvmSegment s in segments)
            {
                LvmPhysicalVolume pv = pvs.First(p => p.Key == s.PhysicalVolume);
                if (s.PvExtent < 0 || s.ExtentCount <= 0 || s.PvExtent + s.ExtentCount > pv.PeCount)
                {
                    throw new ImageException(ImageError.Malformed, $"{what}: {lvName} has a segment past the end of {pv.Key}.");
                }
            }
            lvs.Add(new LvmLogicalVolume(lvName, visible, segments.OrderBy(s => s.StartExtent).ToList()));
        }
        return new LvmVolumeGroup(name, text, root, vg, extentSize, pvs, lvs, unsupported);
    }

    private static string Describe(string type, long stripeCount, LvmConfigSection segment) => type switch
    {
        "striped" => $"striped over {stripeCount} physical volumes",
        "thin-pool" => "a thin pool",
        "thin" => "a thin volume",
        "snapshot" => $"a snapshot (of {segment.String("origin") ?? "?"}, stored in {segment.String("cow_store") ?? "?"})",
        "mirror" => "a mirror",
        "cache" or "cache-pool" or "writecache" => $"a cache volume ({type})",
        "crypt" => "encrypted",
        _ when type.StartsWith("raid", StringComparison.Ordinal) => $"a RAID volume ({type})",
        _ => $"of segment type \"{type}\"",
    };

    private static ImageException Bad(string what, string field) =>
        new(ImageError.Malformed, $"{what}: {field} is missing or invalid.");
}
