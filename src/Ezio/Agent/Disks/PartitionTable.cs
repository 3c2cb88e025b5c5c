using System.Text.Json;

namespace Ezio.Agent.Disks;

/// <summary>One partition in sectors of the table's sector size.</summary>
/// <param name="Number">Partition number (sda2 → 2; logical DOS partitions start at 5).</param>
internal sealed record Partition(int Number, long Start, long Size, string Type)
{
    public long End => Start + Size - 1;

    /// <summary>DOS extended containers (05, 0f, 85): they hold logical partitions, never a filesystem.</summary>
    public bool IsExtended => Type is "5" or "05" or "f" or "0f" or "85";
}

/// <summary>A partition's new size, in sectors, for the grow post-step.</summary>
internal readonly record struct PartitionResize(int Number, long Start, long OldSize, long NewSize);

/// <summary>
/// A disk's partition table as <c>sfdisk --json</c> prints it:
/// <code>
/// {"partitiontable": {"label": "gpt", "firstlba": 34, "lastlba": 131038, "sectorsize": 512,
///    "partitions": [{"node": "/dev/sda1", "start": 2048, "size": 8192, "type": "C12A…"}, …]}}
/// </code>
/// "lastlba" is GPT's last usable sector (DOS tables have none: the disk's last sector is the limit).
/// </summary>
internal sealed record PartitionTable(string Label, int SectorSize, long? LastUsable, IReadOnlyList<Partition> Partitions)
{
    /// <summary>The MBR's 32-bit sector fields cap start + size.</summary>
    private const long DosLimit = uint.MaxValue;

    public bool IsGpt => Label == "gpt";

    /// <summary>Parses sfdisk's JSON; throws <see cref="FormatException"/> when it is not one.</summary>
    public static PartitionTable ParseSfdiskJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var table = document.RootElement.GetProperty("partitiontable");
            var label = table.TryGetProperty("label", out var l) ? l.GetString() ?? "" : "";
            var sectorSize = table.TryGetProperty("sectorsize", out var s) ? s.GetInt32() : 512;
            long? lastUsable = table.TryGetProperty("lastlba", out var last) ? last.GetInt64() : null;
            var partitions = new List<Partition>();
            if (table.TryGetProperty("partitions", out var list))
            {
                foreach (var p in list.EnumerateArray())
                {
                    var node = p.GetProperty("node").GetString() ?? "";
                    partitions.Add(new Partition(NumberOf(node), p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(),
                        p.TryGetProperty("type", out var t) ? (t.GetString() ?? "").ToLowerInvariant() : ""));
                }
            }
            if (sectorSize is not (512 or 1024 or 2048 or 4096) || partitions.Any(p => p.Number <= 0 || p.Start < 0 || p.Size <= 0))
            {
                throw new FormatException("implausible partition table values");
            }
            return new PartitionTable(label, sectorSize, lastUsable, partitions);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not sfdisk --json output: " + e.Message, e);
        }
    }

    /// <summary>The partition that ends last on the disk (the one worth growing), or null.</summary>
    public Partition? Last(bool includeExtended = false) =>
        Partitions.Where(p => includeExtended || !p.IsExtended).OrderBy(p => p.End).LastOrDefault();

    /// <summary>
    /// The resizes (in order) that make the last partition end at the last usable sector of a
    /// disk of <paramref name="diskBytes"/>: GPT stops at "lastlba" (after the backup header
    /// moved to the real end), DOS at the disk's last sector within the MBR's 32-bit limit. A
    /// logical DOS partition needs its extended container grown first. Empty when there is
    /// nothing to grow; <paramref name="why"/> says why.
    /// </summary>
    public IReadOnlyList<PartitionResize> GrowLast(long diskBytes, out string why)
    {
        var last = Last();
        if (last is null)
        {
            why = "the table has no partition";
            return [];
        }
        var diskSectors = diskBytes / SectorSize;
        var limit = IsGpt
            ? Math.Min(LastUsable ?? diskSectors - 34, diskSectors - 1)
            : Math.Min(diskSectors - 1, DosLimit - 1);
        var newSize = limit - last.Start + 1;
        if (newSize <= last.Size)
        {
            why = $"partition {last.Number} already ends at sector {last.End} of {limit}";
            return [];
        }
        var steps = new List<PartitionResize>();
        if (!IsGpt && last.Number >= 5)
        {
            var container = Partitions.FirstOrDefault(p => p.IsExtended && p.Start <= last.Start && p.End >= last.End);
            if (container is null)
            {
                why = $"logical partition {last.Number} lies outside every extended partition";
                return [];
            }
            if (container.End < limit)
            {
                steps.Add(new PartitionResize(container.Number, container.Start, container.Size, limit - container.Start + 1));
            }
        }
        steps.Add(new PartitionResize(last.Number, last.Start, last.Size, newSize));
        why = $"partition {last.Number} grows from {last.Size} to {newSize} sectors";
        return steps;
    }

    /// <summary>/dev/sda2 → 2, /dev/nvme0n1p3 → 3, disk.img1 → 1 (the trailing digits).</summary>
    internal static int NumberOf(string node)
    {
        var i = node.Length;
        while (i > 0 && char.IsAsciiDigit(node[i - 1]))
        {
            i--;
        }
        return i < node.Length && int.TryParse(node.AsSpan(i), out var n) ? n : 0;
    }
}
