using System.Globalization;
using System.Text;

namespace Ezio.Imaging.Clonezilla;

// LVM2's text format (what `vgcfgbackup` writes and what lives in a PV's metadata area):
//
//   contents = "Text Format Volume Group"      # comment to end of line
//   vgtest {
//       extent_size = 8192
//       status = ["RESIZEABLE", "READ", "WRITE"]
//       physical_volumes { pv0 { id = "…"  pe_start = 2048 } }
//   }
//
// A section holds `key = value` pairs and named subsections; a value is a quoted string (with
// \" and \\ escapes), an integer, or a [list] of those.

/// <summary>One section of an LVM2 text-format file: values and subsections, in file order.</summary>
public sealed class LvmConfigSection
{
    private readonly List<(string Key, object Value)> _values = [];
    private readonly List<(string Name, LvmConfigSection Section)> _sections = [];

    public IEnumerable<(string Name, LvmConfigSection Section)> Sections => _sections;

    /// <summary>Where the section's text runs in the parsed file: from its name to its closing brace.</summary>
    public Range Span { get; private set; }

    public LvmConfigSection? Section(string name) => _sections.FirstOrDefault(s => s.Name == name).Section;

    public string? String(string key) => Find(key) as string;

    public long? Integer(string key) => Find(key) is long n ? n : null;

    /// <summary>A list value (strings and integers), or null when absent.</summary>
    public IReadOnlyList<object>? List(string key) => Find(key) as IReadOnlyList<object>;

    private object? Find(string key) => _values.FirstOrDefault(v => v.Key == key).Value;

    /// <summary>Parses a whole file; <paramref name="what"/> names it in errors.</summary>
    public static LvmConfigSection Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(text, what);
        LvmConfigSection root = parser.ParseBody(topLevel: true);
        return root;
    }

    private sealed class Parser(string text, string what)
    {
        private int _position;

        public LvmConfigSection ParseBody(bool topLevel)
        {
            var section = new LvmConfigSection();
            while (true)
            {
                SkipSpace();
                if (_position >= text.Length)
                {
                    if (!topLevel)
                    {
                        throw Error("a section is not closed");
                    }
                    return section;
                }
                if (text[_position] == '}')
                {
                    if (topLevel)
                    {
                        throw Error("unexpected '}'");
                    }
                    _position++;
                    return section;
                }
                int nameStart = _position;
                string name = Name();
                SkipSpace();
                char c = _position < text.Length ? text[_position] : '\0';
                _position++;
                if (c == '{')
                {
                    LvmConfigSection child = ParseBody(topLevel: false);
                    child.Span = nameStart.._position;
                    section._sections.Add((name, child));
                }
                else if (c == '=')
                {
                    section._values.Add((name, Value()));
                }
                else
                {
                    throw Error($"expected '=' or '{{' after '{name}'");
                }
            }
        }

        private object Value()
        {
            SkipSpace();
            if (_position >= text.Length)
            {
                throw Error("a value is missing");
            }
            if (text[_position] != '[')
            {
                return Scalar();
            }
            _position++;
            var list = new List<object>();
            while (true)
            {
                SkipSpace();
                if (_position < text.Length && text[_position] == ']')
                {
                    _position++;
                    return list;
                }
                if (list.Count > 0)
                {
                    if (_position >= text.Length || text[_position] != ',')
                    {
                        throw Error("expected ',' or ']' in a list");
                    }
                    _position++;
                    SkipSpace();
                }
                list.Add(Scalar());
            }
        }

        private object Scalar()
        {
            if (_position < text.Length && text[_position] == '"')
            {
                _position++;
                var value = new StringBuilder();
                while (_position < text.Length && text[_position] != '"')
                {
                    if (text[_position] == '\\' && _position + 1 < text.Length)
                    {
                        _position++;
                    }
                    value.Append(text[_position++]);
                }
                if (_position >= text.Length)
                {
                    throw Error("a string is not closed");
                }
                _position++;
                return value.ToString();
            }
            int start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '-' or '+' or '.'))
            {
                _position++;
            }
            string token = text[start.._position];
            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
            {
                return number;
            }
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return token;
            }
            throw Error($"unexpected value '{token}'");
        }

        private string Name()
        {
            int start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '_' or '-' or '+' or '.'))
            {
                _position++;
            }
            if (_position == start)
            {
                throw Error($"unexpected '{text[_position]}'");
            }
            return text[start.._position];
        }

        private void SkipSpace()
        {
            while (_position < text.Length)
            {
                char c = text[_position];
                if (c == '#')
                {
                    while (_position < text.Length && text[_position] != '\n')
                    {
                        _position++;
                    }
                }
                else if (char.IsWhiteSpace(c) || c == '\0')
                {
                    _position++;
                }
                else
                {
                    return;
                }
            }
        }

        private ImageException Error(string problem)
        {
            int line = 1 + text.AsSpan(0, Math.Min(_position, text.Length)).Count('\n');
            return new ImageException(ImageError.Malformed, $"{what} line {line}: {problem}.");
        }
    }
}
