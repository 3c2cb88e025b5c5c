namespace Ezio.Server.Cli;

/// <summary>Tiny "--name value" parser: every option takes a value unless listed as a flag.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _all = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];

    public IReadOnlyList<string> Positionals => _positionals;

    public static Options Parse(string[] args, IReadOnlyCollection<string> known, IReadOnlyCollection<string>? flags = null)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                options._positionals.Add(arg);
                continue;
            }
            if (flags?.Contains(arg) == true)
            {
                options._values[arg] = "yes";
                continue;
            }
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            if (!known.Contains(name))
            {
                throw new UsageException($"unknown option {name}");
            }
            string value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"{name} needs a value");
            }
            options._values[name] = value;
            if (!options._all.TryGetValue(name, out var all))
            {
                options._all[name] = all = [];
            }
            all.Add(value);
        }
        return options;
    }

    public string? Value(string name) => _values.GetValueOrDefault(name);

    /// <summary>Every value of a repeatable option, in order (empty when absent).</summary>
    public IReadOnlyList<string> Values(string name) => _all.TryGetValue(name, out var all) ? all : [];

    public int Int(string name, int fallback, int min, int max)
    {
        if (Value(name) is not { } text)
        {
            return fallback;
        }
        return int.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} wants a number {min}-{max}, not '{text}'");
    }

    /// <summary>yes/no (or true/false) option; <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string name, bool fallback) => Value(name) switch
    {
        null => fallback,
        "yes" or "true" => true,
        "no" or "false" => false,
        var text => throw new UsageException($"{name} wants yes or no, not '{text}'"),
    };
}
