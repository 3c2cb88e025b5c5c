namespace Ezio.Agent.Disks;

/// <summary>
/// The hostname post-step's text edits. Debian names the machine in /etc/hosts on a
/// "127.0.1.1 NAME" line (so `hostname --fqdn` resolves without DNS); it must follow
/// /etc/hostname or sudo and friends stall on a lookup.
/// </summary>
internal static class HostsFile
{
    /// <summary>RFC 1123 label: letters, digits, inner hyphens, at most 63 characters.</summary>
    public static bool IsValidHostname(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && name[0] != '-' && name[^1] != '-'
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>
    /// Replaces every 127.0.1.1 line with "127.0.1.1\tNAME"; without one, adds it after the
    /// 127.0.0.1 line (or at the top). Other lines, comments and the line ending style stay.
    /// </summary>
    public static string SetHostname(string hosts, string hostname)
    {
        var newline = hosts.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = hosts.Length == 0 ? [] : hosts.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n').ToList();
        var entry = "127.0.1.1\t" + hostname;
        var replaced = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (FirstField(lines[i]) == "127.0.1.1")
            {
                lines[i] = entry;
                replaced = true;
            }
        }
        if (!replaced)
        {
            var loopback = lines.FindIndex(l => FirstField(l) == "127.0.0.1");
            lines.Insert(loopback + 1, entry);
            if (loopback < 0)
            {
                lines.Insert(0, "127.0.0.1\tlocalhost");
            }
        }
        return string.Join(newline, lines) + newline;
    }

    private static string FirstField(string line)
    {
        var text = line.TrimStart();
        if (text.StartsWith('#'))
        {
            return "";
        }
        var end = text.IndexOfAny([' ', '\t']);
        return end < 0 ? text : text[..end];
    }
}
