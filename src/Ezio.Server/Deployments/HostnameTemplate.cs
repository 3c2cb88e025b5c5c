using System.Globalization;
using System.Text;

namespace Ezio.Server.Deployments;

/// <summary>
/// Per-machine hostnames from one pattern, for the agent's hostname post-step:
/// <c>{mac}</c> the 12 hex digits of the MAC, <c>{mac6}</c> its last 6, <c>{index}</c> the
/// machine's 1-based position in the deployment's list (<c>{index:3}</c> zero-pads to 3
/// digits). "lab-{index:2}" names the machines lab-01, lab-02 …; "pc-{mac6}" pc-aabb01.
/// </summary>
internal static class HostnameTemplate
{
    /// <summary>The hostname for one machine, or null when the template has an unknown placeholder or yields no valid name.</summary>
    public static string? Render(string template, string mac, int index)
    {
        var hex = mac.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        var text = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] != '{')
            {
                text.Append(template[i]);
                continue;
            }
            var close = template.IndexOf('}', i);
            if (close < 0)
            {
                return null;
            }
            var placeholder = template[(i + 1)..close];
            var value = placeholder switch
            {
                "mac" => hex,
                "mac6" => hex.Length >= 6 ? hex[^6..] : hex,
                "index" => index.ToString(CultureInfo.InvariantCulture),
                _ when placeholder.StartsWith("index:", StringComparison.Ordinal)
                    && int.TryParse(placeholder.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width is >= 1 and <= 9
                    => index.ToString("D" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                _ => null,
            };
            if (value is null)
            {
                return null;
            }
            text.Append(value);
            i = close;
        }
        var name = text.ToString();
        return IsValid(name) ? name : null;
    }

    /// <summary>Checked when the deployment is created: a sample machine must get a valid name.</summary>
    public static bool IsUsable(string template) => Render(template, "02:00:00:ab:cd:ef", 999) is not null;

    /// <summary>RFC 1123 label (what /etc/hostname of the deployed system accepts without a domain).</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && name[0] != '-' && name[^1] != '-'
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
