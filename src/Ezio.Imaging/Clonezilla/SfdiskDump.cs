using System.Globalization;

namespace Ezio.Imaging.Clonezilla;

// `sfdisk -d` output (what Clonezilla saves as <disk>-pt.sf):
//
//   label: gpt
//   label-id: 6F1F…
//   device: /dev/sda
//   unit: sectors
//   first-lba: 2048
//   last-lba: 41943006
//   sector-size: 512
//
//   /dev/sda1 : start=        2048, size=      204800, type=0FC63DAF-…, uuid=…, name="root"
//
// Header lines are "key: value"; partition lines are "<device> : key=value, …" with start and
// size in sectors.

/// <summary>One partition line of an sfdisk dump.</summary>
public sealed record SfdiskPartition(string Device, int Number, long Start, long Size, string Type);

/// <summary>A parsed `sfdisk -d` dump.</summary>
public sealed class SfdiskDump
{
    private SfdiskDump(string text, string label, int sectorSize, long? lastLba, IReadOnlyList<SfdiskPartition> partitions)
    {
        Text = text;
        Label = label;
        SectorSize = sectorSize;
        LastLba = lastLba;
        Partitions = partitions;
    }

    public string Text { get; }
    public string Label { get; }
    public int SectorSize { get; }
    public long? LastLba { get; }
    public IReadOnlyList<SfdiskPartition> Partitions { get; }

    /// <summary>The least disk size the table needs: GPT's last usable LBA plus the backup table, else the end of the last partition.</summary>
    public long MinimumDiskSize =>
        LastLba is long last
            ? (last + 1 + 33) * SectorSize
            : Partitions.Count == 0 ? 0 : Partitions.Max(p => p.Start + p.Size) * SectorSize;

    public static SfdiskDump Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string label = "dos";
        int sectorSize = 512;
        long? lastLba = null;
        var partitions = new List<SfdiskPartition>();
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            int separator = line.IndexOf(" : ", StringComparison.Ordinal);
            if (separator > 0)
            {
                partitions.Add(ParsePartition(line[..separator].Trim(), line[(separator + 3)..]));
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new ImageException(ImageError.Malformed, $"Unexpected line in the sfdisk dump: '{line}'.");
            }
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "label":
                    label = value;
                    break;
                case "sector-size":
                    sectorSize = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "last-lba":
                    lastLba = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "unit" when value != "sectors":
                    throw new ImageException(ImageError.NotSupported, $"sfdisk dump unit '{value}' is not supported.");
            }
        }
        return new SfdiskDump(text, label, sectorSize, lastLba, partitions);
    }

    private static SfdiskPartition ParsePartition(string device, string fields)
    {
        long start = -1;
        long size = -1;
        string type = "";
        foreach (string field in fields.Split(','))
        {
            int eq = field.IndexOf('=');
            if (eq <= 0)
            {
                continue; // flags such as "bootable"
            }
            string key = field[..eq].Trim();
            string value = field[(eq + 1)..].Trim();
            switch (key)
            {
                case "start":
                    start = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "size":
                    size = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "type" or "Id":
                    type = value;
                    break;
            }
        }
        if (start < 0 || size < 0)
        {
            throw new ImageException(ImageError.Malformed, $"sfdisk line for {device} lacks start or size.");
        }
        int digits = device.Length;
        while (digits > 0 && char.IsAsciiDigit(device[digits - 1]))
        {
            digits--;
        }
        int number = digits < device.Length ? int.Parse(device.AsSpan(digits), CultureInfo.InvariantCulture) : 0;
        return new SfdiskPartition(device, number, start, size, type);
    }
}
