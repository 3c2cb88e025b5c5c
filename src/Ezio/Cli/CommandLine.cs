namespace Ezio.Cli;

/// <summary>A usage mistake: printed as one line, exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }
}

/// <summary>
/// A small, strict argument parser: positionals, <c>--name value</c>, <c>--name=value</c>,
/// repeatable options and flags. Unknown options are errors, so typos never pass silently.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(List<string> positionals) => Positionals = positionals;

    public List<string> Positionals { get; }

    public bool Help => _flags.Contains("--help") || _flags.Contains("-h");

    /// <param name="valueOptions">Options that take a value (e.g. "--port", "-o").</param>
    /// <param name="flagOptions">Options without a value (e.g. "--no-recheck").</param>
    public static CommandLine Parse(IEnumerable<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flagOptions)
    {
        var positionals = new List<string>();
        var result = new CommandLine(positionals);
        using var e = args.GetEnumerator();
        var onlyPositionals = false;
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (onlyPositionals || arg.Length < 2 || arg[0] != '-')
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                onlyPositionals = true;
                continue;
            }
            if (arg is "--help" or "-h")
            {
                result._flags.Add(arg);
                continue;
            }
            var name = arg;
            string? value = null;
            var equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            if (flagOptions.Contains(name))
            {
                if (value is not null)
                {
                    throw new UsageException($"{name} takes no value.");
                }
                result._flags.Add(name);
            }
            else if (valueOptions.Contains(name))
            {
                if (value is null)
                {
                    if (!e.MoveNext())
                    {
                        throw new UsageException($"{name} needs a value.");
                    }
                    value = e.Current;
                }
                if (!result._values.TryGetValue(name, out var list))
                {
                    result._values[name] = list = new List<string>();
                }
                list.Add(value);
            }
            else
            {
                throw new UsageException($"unknown option {name}; see --help.");
            }
        }
        return result;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public int Int(string name, int fallback, int min, int max)
    {
        var text = Value(name);
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
        }
        return value;
    }

    /// <summary>Parses sizes such as 4194304, 4M, 4MiB, 512K.</summary>
    public static long ParseSize(string name, string text)
    {
        var t = text.Trim();
        long unit = 1;
        var suffixes = new (string Suffix, long Unit)[] { ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30) };
        foreach (var (suffix, u) in suffixes)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                unit = u;
                t = t[..^suffix.Length];
                break;
            }
        }
        if (!long.TryParse(t, out var value) || value <= 0)
        {
            throw new UsageException($"{name}: '{text}' is not a size (e.g. 4194304, 512K, 4M).");
        }
        return value * unit;
    }

    public void ExpectPositionals(int count, string usage)
    {
        if (Positionals.Count != count)
        {
            throw new UsageException($"expected {count} argument(s). Usage: {usage}");
        }
    }
}
