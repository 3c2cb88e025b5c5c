using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Ezio.Imaging.Clonezilla;

// The start of an LVM2 PV, as `pvcreate --uuid U --restorefile F` then `vgcfgrestore -f F`
// leave it (LVM2 lib/format_text/layout.h; all integers little-endian):
//
//   byte 0       sector 0: zeros
//   byte 512     label_header  "LABELONE" | sector_xl u64 = 1 | crc_xl u32 | offset_xl u32 = 32 | "LVM2 001"
//   byte 544     pv_header     uuid[32] (no dashes) | device_size_xl u64 (bytes)
//                              data areas {offset u64, size u64}…{0,0}: {pe_start * 512, 0}
//                              metadata areas …{0,0}:                   {4096, mda size}
//                pv_header_extension  version u32 = 2 | flags u32 = 1 (in a VG) | bootloader areas …{0,0}
//                crc_xl = CRC of label bytes 20..511
//   byte 4096    mda_header    checksum u32 | magic " LVM2 x[5A%r0N*>" | version u32 = 1
//                              start u64 = 4096 | size u64 | raw_locn {offset u64 = 512, size u64,
//                              checksum u32, flags u32 = 0} | {0…}; checksum = CRC of bytes 4..511
//   byte 4608    metadata text "<vg> { … }\n…contents = …\n" plus its NUL (counted in size)
//   pe_start     the first extent
//
// CRC: LVM2's calc_crc, the reflected CRC-32 table (0xEDB88320) from 0xF597A6CF, no final xor.
// The text must start with the VG name: the label scan reads the name from there.

/// <summary>The bytes of an LVM2 PV before its first extent: label, metadata area header and VG metadata.</summary>
public static class LvmLabel
{
    private const int LabelOffset = 512;
    private const int MdaOffset = 4096;
    private const int MdaHeaderSize = 512;
    private const uint InitialCrc = 0xf597a6cf;
    private static readonly uint[] s_crcTable = BuildCrcTable();

    /// <summary>
    /// The first pe_start sectors of <paramref name="pv"/> of <paramref name="vg"/>, on a
    /// device of <paramref name="deviceBytes"/> bytes.
    /// </summary>
    public static byte[] Build(LvmVolumeGroup vg, LvmPhysicalVolume pv, long deviceBytes)
    {
        ArgumentNullException.ThrowIfNull(vg);
        ArgumentNullException.ThrowIfNull(pv);
        long dataStart = pv.PeStart * LvmVolumeGroup.Sector;
        long mdaEnd = pv.BootloaderStart > 0 ? pv.BootloaderStart * LvmVolumeGroup.Sector : dataStart;
        byte[] text = MetadataText(vg);
        long mdaSize = mdaEnd - MdaOffset;
        if (dataStart > 64L << 20 || mdaSize < MdaHeaderSize + text.Length)
        {
            throw new ImageException(ImageError.NotSupported,
                $"Physical volume {pv.Uuid} of {vg.Name} has pe_start {pv.PeStart}: no room for its {text.Length}-byte metadata.");
        }
        byte[] head = new byte[dataStart];

        Span<byte> label = head.AsSpan(LabelOffset, 512);
        "LABELONE"u8.CopyTo(label);
        BinaryPrimitives.WriteUInt64LittleEndian(label[8..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(label[20..], 32);
        "LVM2 001"u8.CopyTo(label[24..]);
        string uuid = pv.Uuid.Replace("-", "", StringComparison.Ordinal);
        if (uuid.Length != 32)
        {
            throw new ImageException(ImageError.Malformed, $"'{pv.Uuid}' is not an LVM PV UUID.");
        }
        Encoding.ASCII.GetBytes(uuid, label[32..]);
        BinaryPrimitives.WriteUInt64LittleEndian(label[64..], (ulong)deviceBytes);
        int at = 72;
        at = Locations(label, at, (dataStart, 0));
        at = Locations(label, at, (MdaOffset, mdaSize));
        BinaryPrimitives.WriteUInt32LittleEndian(label[at..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(label[(at + 4)..], 1);
        at += 8;
        if (pv.BootloaderSize > 0)
        {
            Locations(label, at, (pv.BootloaderStart * LvmVolumeGroup.Sector, pv.BootloaderSize * LvmVolumeGroup.Sector));
        }
        else
        {
            Locations(label, at);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(label[16..], Crc(label[20..]));

        Span<byte> mda = head.AsSpan(MdaOffset, MdaHeaderSize);
        " LVM2 x[5A%r0N*>"u8.CopyTo(mda[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(mda[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(mda[24..], MdaOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(mda[32..], (ulong)mdaSize);
        BinaryPrimitives.WriteUInt64LittleEndian(mda[40..], MdaHeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(mda[48..], (ulong)text.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(mda[56..], Crc(text));
        BinaryPrimitives.WriteUInt32LittleEndian(mda, Crc(mda[4..]));
        text.CopyTo(head.AsSpan(MdaOffset + MdaHeaderSize));
        return head;
    }

    /// <summary>
    /// The metadata text: the backup's VG section first (the label scan expects the VG name at
    /// the start), then the file-level fields, NUL-terminated as LVM2 stores it.
    /// </summary>
    internal static byte[] MetadataText(LvmVolumeGroup vg)
    {
        var text = new StringBuilder();
        text.Append(vg.Text.AsSpan()[vg.Section.Span]).Append('\n');
        text.Append("# Written by Ezio from the volume group's backup\n\n");
        text.Append("contents = \"Text Format Volume Group\"\nversion = 1\n\ndescription = \"\"\n\n");
        if (vg.Root.String("creation_host") is string host)
        {
            text.Append(CultureInfo.InvariantCulture, $"creation_host = \"{host.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"\n");
        }
        if (vg.Root.Integer("creation_time") is long time)
        {
            text.Append(CultureInfo.InvariantCulture, $"creation_time = {time}\n");
        }
        text.Append('\n').Append('\0');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static int Locations(Span<byte> label, int at, params ReadOnlySpan<(long Offset, long Size)> areas)
    {
        foreach ((long offset, long size) in areas)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(label[at..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(label[(at + 8)..], (ulong)size);
            at += 16;
        }
        return at + 16; // the {0, 0} that ends the list (already zero)
    }

    internal static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = InitialCrc;
        foreach (byte b in data)
        {
            crc = (crc >> 8) ^ s_crcTable[(crc ^ b) & 0xff];
        }
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ 0xedb88320 : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
