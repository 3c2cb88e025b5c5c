using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Ezio.Imaging.Clonezilla;

// Linux swap header, version 1 (include/linux/swap.h, union swap_header), one page long:
//
//   0      bootbits[1024]   zeros
//   1024   version u32 = 1 | last_page u32 | nr_badpages u32 = 0
//   1036   sws_uuid[16]     the UUID in its printed byte order
//   1052   sws_volume[16]   the label, NUL-padded
//   page - 10  "SWAPSPACE2"
//
// Native byte order (little-endian on x86 and arm64). This is what `mkswap -U <uuid> -L <label>`
// writes into the first page of the device; the rest of the device is left as it is.

/// <summary>A swap partition's identity as Clonezilla saves it (swappt-&lt;dev&gt;.info) and its signature page.</summary>
public sealed partial record SwapSignature(Guid? Uuid, string Label)
{
    /// <summary>The page size `mkswap` uses on x86-64 (and on the common 4 KiB arm64 kernels).</summary>
    public const int PageSize = 4096;

    /// <summary>Reads `UUID="…"` and `LABEL="…"` lines (shell assignments, as ocs-sr writes them).</summary>
    public static SwapSignature Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        Guid? uuid = null;
        string label = "";
        foreach (Match m in Assignment().Matches(text))
        {
            string value = m.Groups["value"].Value;
            if (m.Groups["key"].Value == "UUID" && value.Length > 0)
            {
                uuid = Guid.TryParse(value, out Guid g) ? g : throw new ImageException(ImageError.Malformed, $"{what}: '{value}' is not a UUID.");
            }
            else if (m.Groups["key"].Value == "LABEL")
            {
                label = value;
            }
        }
        if (Encoding.UTF8.GetByteCount(label) > 16)
        {
            throw new ImageException(ImageError.Malformed, $"{what}: the swap label '{label}' is longer than 16 bytes.");
        }
        return new SwapSignature(uuid, label);
    }

    /// <summary>The first page of a swap area of <paramref name="deviceBytes"/> bytes; a random UUID when none was saved (as mkswap does).</summary>
    public byte[] Build(long deviceBytes)
    {
        long pages = deviceBytes / PageSize;
        if (pages < 10)
        {
            throw new ImageException(ImageError.Malformed, $"A {deviceBytes}-byte swap area is too small for mkswap.");
        }
        byte[] page = new byte[PageSize];
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(1024), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(1028), (uint)Math.Min(pages - 1, uint.MaxValue));
        (Uuid ?? Guid.NewGuid()).TryWriteBytes(page.AsSpan(1036, 16), bigEndian: true, out _);
        Encoding.UTF8.GetBytes(Label, page.AsSpan(1052, 16));
        "SWAPSPACE2"u8.CopyTo(page.AsSpan(PageSize - 10));
        return page;
    }

    [GeneratedRegex("""^\s*(?<key>UUID|LABEL)="(?<value>[^"]*)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex Assignment();
}
