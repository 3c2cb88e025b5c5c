using System.Text.RegularExpressions;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>
/// Under <c>set -o pipefail</c> a reader that stops early (<c>| head</c>, <c>| grep -q</c>,
/// <c>| awk '... exit'</c>) makes the writer die of SIGPIPE when it has more to write, and the
/// pipeline fails at random (mkinitrd-agent.sh exited 141 at <c>ldconfig -p | awk ... exit</c>).
/// No script of the repository under pipefail may read a pipe that way.
/// </summary>
public sealed partial class PipefailTests
{
    // Truncating a stream on purpose: the writer's failure is handled on the line itself.
    private static readonly string[] Allowed =
    [
        "bench/disk/run.sh: { openssl enc",  // writer in { ... || true; }
        "bench/image/run.sh: (tar -C",       // whole pipeline in ( ... ) || true
    ];

    [Fact]
    public void NoEarlyClosingReaderUnderPipefail()
    {
        var offences = new List<string>();
        foreach (var (path, text) in PipefailScripts())
        {
            foreach (var line in LogicalLines(text))
            {
                var located = path + ": " + line.TrimStart();
                if (EarlyReader().IsMatch(line) && !Allowed.Any(a => located.StartsWith(a, StringComparison.Ordinal)))
                {
                    offences.Add(path + ": " + line.Trim());
                }
            }
        }
        Assert.True(offences.Count == 0, "readers that close the pipe early under pipefail:\n" + string.Join('\n', offences));
    }

    [Theory]
    [InlineData("x=$(ldconfig -p | awk '$1 == l {print $NF; exit}')", true)]
    [InlineData("sgdisk -v \"$out\" | grep -q 'No problems found' || exit 1", true)]
    [InlineData("v=$(ls dir \\\n  | head -n1)", true)]
    [InlineData("x=$(ldconfig -p | awk '$1 == l && p == \"\" {p = $NF} END {print p}')", false)]
    [InlineData("head -c 10 /dev/urandom | sha256sum", false)]
    [InlineData("grep -q ok \"$log\" || exit 1", false)]
    public void TheCheckSeesTheRacyForms(string script, bool racy)
    {
        // The scan above must be able to fail: it flags the forms that raced, and only those.
        Assert.Equal(racy, LogicalLines(script).Any(l => EarlyReader().IsMatch(l)));
    }

    private static IEnumerable<(string Path, string Text)> PipefailScripts()
    {
        var root = Repo.Root;
        var skip = new[] { "/.git/", "/bin/", "/obj/", "/out/", "/node_modules/" };
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var rel = System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');
            if (skip.Any(s => ("/" + rel).Contains(s, StringComparison.Ordinal)) || new FileInfo(file).Length > 1 << 20)
            {
                continue;
            }
            if (!(rel.EndsWith(".sh", StringComparison.Ordinal) || rel.EndsWith(".chroot", StringComparison.Ordinal) || rel == ".ci/run"
                  || FirstLine(file).StartsWith("#!", StringComparison.Ordinal) && FirstLine(file).Contains("bash", StringComparison.Ordinal)))
            {
                continue;
            }
            var text = File.ReadAllText(file);
            if (text.Contains("pipefail", StringComparison.Ordinal))
            {
                yield return (rel, text);
            }
        }
    }

    private static string FirstLine(string file)
    {
        using var reader = new StreamReader(file);
        return reader.ReadLine() ?? "";
    }

    /// <summary>Joins backslash continuations and lines that start with a pipe; drops comments.</summary>
    private static IEnumerable<string> LogicalLines(string text)
    {
        var joined = Regex.Replace(text, @"\\\r?\n\s*", " ");
        joined = Regex.Replace(joined, @"\r?\n\s*\|", " |");
        return joined.Split('\n').Where(l => !l.TrimStart().StartsWith('#'));
    }

    // | head ...   | grep -q / -m / -...q   | awk '... exit ...'
    [GeneratedRegex(@"\|\s*(head\b|grep\s+(-\w*[qm]\b|--quiet|--max-count)|awk\b[^|]*\bexit\b)")]
    private static partial Regex EarlyReader();
}
