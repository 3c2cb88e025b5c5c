using System.Text.RegularExpressions;

namespace Ezio.Server.Ocsmgrd;

/// <summary>
/// The text edits DRBL's helper scripts make when ocsmgrd hears that a client finished, redone
/// line by line so the output is byte-identical (checked against the real scripts' output in
/// the test fixtures):
/// <list type="bullet">
/// <item>PXELINUX (<c>set-default-pxe-img -i local</c>, <c>hide_reveal_pxe_img clonezilla hide</c>,
/// and the same for <c>Clonezilla-live</c> when that label exists): every <c>MENU DEFAULT</c>
/// becomes <c>  # MENU DEFAULT</c>; inside the <c>label local</c> block it becomes
/// <c>  MENU DEFAULT</c> and <c>MENU HIDE</c> becomes <c>  # MENU HIDE</c>; inside the hidden
/// blocks <c>MENU HIDE</c> becomes <c>  MENU HIDE</c>.</item>
/// <item>GRUB (<c>hide_reveal_grub_efi_ent local-disk reveal</c>, <c>set-default-grub-efi-img -i
/// local-disk</c>, <c>hide_reveal_grub_efi_ent clonezilla-se-client hide</c>, and
/// <c>clonezilla-live-client</c> when present): reveal strips one leading '#' from each line of the
/// block, hide puts '#' before each line that does not start with one (blank lines too), and
/// <c>set default=…</c> becomes <c>set default=local-disk</c>.</item>
/// </list>
/// A block runs from its label/menuentry line to the line before the next one (commented
/// menuentries count), or to the last line.
/// </summary>
internal static partial class DrblMenuEdits
{
    public static string EditPxelinux(string text)
    {
        var lines = Lines(text);
        for (var i = 0; i < lines.Count; i++)
        {
            lines[i] = MenuDefault().Replace(lines[i], "  # MENU DEFAULT");
        }
        if (PxeBlock(lines, "local") is var (begin, end))
        {
            for (var i = begin; i <= end; i++)
            {
                lines[i] = MenuDefault().Replace(lines[i], "  MENU DEFAULT");
                lines[i] = MenuHide().Replace(lines[i], "  # MENU HIDE");
            }
        }
        HidePxe(lines, "clonezilla");
        if (lines.Any(l => l.StartsWith("label clonezilla-live", StringComparison.OrdinalIgnoreCase)))
        {
            HidePxe(lines, "Clonezilla-live");
        }
        return Join(lines, text);
    }

    public static string EditGrub(string text)
    {
        var lines = Lines(text);
        // ocsmgrd reveals local-disk, then set-default-grub-efi-img reveals it once more.
        RevealGrub(lines, "local-disk");
        RevealGrub(lines, "local-disk");
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].StartsWith("set default=", StringComparison.Ordinal))
            {
                lines[i] = "set default=local-disk";
            }
        }
        HideGrub(lines, "clonezilla-se-client");
        if (lines.Any(l => GrubLiveEntry().IsMatch(l)))
        {
            HideGrub(lines, "clonezilla-live-client");
        }
        return Join(lines, text);
    }

    private static void HidePxe(List<string> lines, string label)
    {
        if (PxeBlock(lines, label) is var (begin, end))
        {
            for (var i = begin; i <= end; i++)
            {
                lines[i] = MenuHide().Replace(lines[i], "  MENU HIDE");
            }
        }
    }

    private static void RevealGrub(List<string> lines, string id)
    {
        if (GrubBlock(lines, id) is var (begin, end))
        {
            for (var i = begin; i <= end; i++)
            {
                if (lines[i].StartsWith('#'))
                {
                    lines[i] = lines[i][1..];
                }
            }
        }
    }

    private static void HideGrub(List<string> lines, string id)
    {
        if (GrubBlock(lines, id) is var (begin, end))
        {
            for (var i = begin; i <= end; i++)
            {
                if (!lines[i].StartsWith('#'))
                {
                    lines[i] = "#" + lines[i];
                }
            }
        }
    }

    private static (int Begin, int End)? PxeBlock(List<string> lines, string label)
    {
        var wanted = new Regex(@"label\s+" + Regex.Escape(label) + @"(\s|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return Block(lines, PxeLabel(), wanted);
    }

    private static (int Begin, int End)? GrubBlock(List<string> lines, string id)
    {
        var wanted = new Regex(@"menuentry\s+.*--id " + Regex.Escape(id) + @"(\s|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return Block(lines, GrubEntry(), wanted);
    }

    /// <summary>Like DRBL's "grep -n heads | grep -A1 wanted": the first wanted head up to the next head.</summary>
    private static (int Begin, int End)? Block(List<string> lines, Regex head, Regex wanted)
    {
        var heads = Enumerable.Range(0, lines.Count).Where(i => head.IsMatch(lines[i])).ToList();
        var at = heads.FindIndex(i => wanted.IsMatch(lines[i]));
        if (at < 0)
        {
            return null;
        }
        return (heads[at], at + 1 < heads.Count ? heads[at + 1] - 1 : lines.Count - 1);
    }

    /// <summary>Lines as "wc -l" counts them: a last line without '\n' is not a line of its own here.</summary>
    private static List<string> Lines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (text.EndsWith('\n'))
        {
            lines.RemoveAt(lines.Count - 1);
        }
        return lines;
    }

    private static string Join(List<string> lines, string original) =>
        string.Join('\n', lines) + (original.EndsWith('\n') ? "\n" : "");

    [GeneratedRegex(@"^(#|\s)*MENU DEFAULT.*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MenuDefault();

    [GeneratedRegex(@"^(#|\s)*MENU HIDE.*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MenuHide();

    [GeneratedRegex(@"^\s*label\s+.*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PxeLabel();

    [GeneratedRegex(@"^\s*#*menuentry\s+.*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GrubEntry();

    [GeneratedRegex(@"^menuentry.* --id clonezilla-live-client", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GrubLiveEntry();
}
