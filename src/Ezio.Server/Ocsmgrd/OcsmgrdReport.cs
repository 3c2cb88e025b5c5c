using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Ocsmgrd;

/// <summary>
/// One Clonezilla completion report, as <c>ocs-socket -m "MSG"</c> sends it to ocsmgrd
/// (TCP 6461, one line, no answer). Two wire formats exist:
/// <code>
///   old (clonezilla ≤ 2024-04): IP MAC [efi_os_label] [efi_part_no] [efi_boot_file] REPORT...   (split on white space)
///   new (clonezilla ≥ 2024-04): IP,MAC,efi_os_label,efi_part_no,efi_boot_file,REPORT...         (split on ',')
/// </code>
/// As in ocsmgrd, the stats are fields 5 and on joined with one space, so in the old format the
/// first report words land in the EFI slots (a report of "/dev/sda1, success, 4.721 mins;"
/// is logged as "mins;"). Unlike ocsmgrd, IP and MAC are checked before anything is written:
/// the real script pastes them into shell commands.
/// </summary>
internal sealed record OcsmgrdReport(IPAddress Ip, string Mac, string EfiOsLabel, string EfiPartition, string EfiBootFile, string Stats, bool NewFormat)
{
    public const int MaxLineBytes = 4096;

    public bool Success => Stats.Contains("success", StringComparison.OrdinalIgnoreCase) && !Stats.Contains("FAIL", StringComparison.Ordinal);

    public static bool TryParse(string line, [NotNullWhen(true)] out OcsmgrdReport? report, [NotNullWhen(false)] out string? error)
    {
        report = null;
        line = line.TrimEnd('\r', '\n');
        if (line.Length == 0)
        {
            error = "empty report";
            return false;
        }
        if (line.Any(c => char.IsControl(c) && c != '\t'))
        {
            error = "control characters in the report";
            return false;
        }
        // The first token decides: the new format has a comma right after the IP.
        var firstSpace = line.IndexOfAny([' ', '\t']);
        var firstToken = firstSpace < 0 ? line : line[..firstSpace];
        var newFormat = firstToken.Contains(',');
        var fields = newFormat ? line.Split(',') : line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2)
        {
            error = "expected at least IP and MAC";
            return false;
        }
        if (!IPAddress.TryParse(fields[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || fields[0].Count(c => c == '.') != 3)
        {
            error = "not an IPv4 address: " + Shorten(fields[0]);
            return false;
        }
        if (!MacAddress.TryNormalize(fields[1], out var mac))
        {
            error = "not a MAC address: " + Shorten(fields[1]);
            return false;
        }
        string Field(int i) => i < fields.Length ? fields[i] : "";
        var stats = fields.Length > 5 ? string.Join(' ', fields[5..]) : "";
        report = new OcsmgrdReport(ip, mac, Field(2), Field(3), Field(4), stats.Length == 0 ? "N/A" : stats, newFormat);
        error = null;
        return true;
    }

    /// <summary>PXELINUX's name for an IPv4 address: 8 uppercase hex digits (192.168.120.5 → C0A87805).</summary>
    public string HexIp => Convert.ToHexString(Ip.GetAddressBytes());

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
