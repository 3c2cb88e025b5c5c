using System.Text.RegularExpressions;

namespace Ezio.Imaging.Clonezilla;

// The rest of an ocs-sr image directory, once images, swap and LVM files are accounted for:
//
//   no partition data (kept out of the image):
//     Info-*.txt  blkdev.list  blkid.list  dev-fs.list  clonezilla-img  disk  parts
//     efi-nvram.dat  device_name_converted.info  MD5SUMS SHA1SUMS SHA512SUMS B2SUMS …
//     <disk>-chs.sf -gpt-1st -gpt-2nd -gpt.gdisk -gpt.sgdisk -mbr -pt.parted[.compact] -pt.sf
//     <disk>-hidden-data-after-mbr   <part>-ebr   dmraid.table with no array in it
//   what Ezio cannot restore (named, and the import fails without --allow-partial):
//     luks-dev.list, luks-crypttab-from-OS.info, <part>-luksHeader.bin   LUKS opened at save time
//     ecryptfs.info                   an image encrypted by ocs-sr -enc
//     <disk>-veracrypt-vh.bin         VeraCrypt
//     mdadm.conf, mdstat.txt, md*.txt Linux software RAID
//     dmraid.table listing arrays     BIOS (fake) RAID
//     anything else

public sealed partial class ClonezillaImage
{
    private static void ClassifyTheRest(DirectoryScan scan, string[] disks)
    {
        foreach (string name in scan.Names.Where(n => !scan.Claimed.Contains(n)).Order(StringComparer.Ordinal))
        {
            if (CarriesNoData(scan.Directory, name, disks))
            {
                continue;
            }
            scan.Problems.Add(Unsupported(scan.Directory, name));
        }
    }

    private static bool CarriesNoData(string directory, string name, string[] disks)
    {
        if (name is "blkdev.list" or "blkid.list" or "dev-fs.list" or "clonezilla-img" or "disk" or "parts"
            or "efi-nvram.dat" or "device_name_converted.info"
            || InfoText().IsMatch(name) || Checksums().IsMatch(name) || ExtendedBootRecord().IsMatch(name))
        {
            return true;
        }
        if (disks.Any(d => name.StartsWith(d + "-", StringComparison.Ordinal) && DiskFile().IsMatch(name[(d.Length + 1)..])))
        {
            return true;
        }
        // ocs-sr writes dmraid.table whenever device-mapper devices exist (LVM's do): only its
        // header line unless a BIOS RAID array was found.
        return name == "dmraid.table" && File.ReadLines(Path.Combine(directory, name)).All(l => l.Length == 0 || l.StartsWith('#'));
    }

    private static ImageProblem Unsupported(string directory, string name)
    {
        if (name == "luks-dev.list")
        {
            // "# <Block device> <UUID> <Device mapped name>" then "/dev/sda3 <uuid> ocs_luks_XYZ".
            var devices = File.ReadLines(Path.Combine(directory, name))
                .Where(l => l.StartsWith("/dev/", StringComparison.Ordinal))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0][5..].Replace('/', '-')).ToList();
            return new ImageProblem(name, $"LUKS-encrypted partitions ({string.Join(", ", devices)}) were opened and saved decrypted; Ezio does not recreate LUKS", devices);
        }
        if (name == "luks-crypttab-from-OS.info" || name.EndsWith("-luksHeader.bin", StringComparison.Ordinal))
        {
            string[] device = name.EndsWith("-luksHeader.bin", StringComparison.Ordinal) ? [name[..^"-luksHeader.bin".Length]] : [];
            return new ImageProblem(name, "part of a LUKS-encrypted partition's image; Ezio does not recreate LUKS", device);
        }
        if (name == "ecryptfs.info")
        {
            return new ImageProblem(name, "the image is encrypted (ocs-sr -enc); Ezio reads unencrypted images only", []);
        }
        if (name.EndsWith("-veracrypt-vh.bin", StringComparison.Ordinal))
        {
            return new ImageProblem(name, "a VeraCrypt volume header; Ezio does not restore VeraCrypt volumes", []);
        }
        if (name is "mdadm.conf" or "mdstat.txt" || MdDetail().IsMatch(name))
        {
            return new ImageProblem(name, "Linux software RAID (md) was saved; Ezio does not restore md arrays", []);
        }
        if (name == "dmraid.table")
        {
            return new ImageProblem(name, "a BIOS (fake) RAID array was saved; Ezio does not restore dmraid arrays", []);
        }
        return new ImageProblem(name, "not a file Ezio understands in a Clonezilla image", []);
    }

    [GeneratedRegex(@"^Info-.+\.txt$")]
    private static partial Regex InfoText();

    [GeneratedRegex(@"^[A-Z0-9]+SUMS$")]
    private static partial Regex Checksums();

    [GeneratedRegex(@"^.+-ebr$")]
    private static partial Regex ExtendedBootRecord();

    [GeneratedRegex(@"^(chs\.sf|gpt-1st|gpt-2nd|gpt\.gdisk|gpt\.sgdisk|mbr|pt\.parted|pt\.parted\.compact|pt\.sf|hidden-data-after-mbr)$")]
    private static partial Regex DiskFile();

    [GeneratedRegex(@"^md[0-9]+\.txt$")]
    private static partial Regex MdDetail();
}
