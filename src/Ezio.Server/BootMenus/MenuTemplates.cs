using System.Text;

namespace Ezio.Server.BootMenus;

/// <summary>
/// The boot-menu templates compiled into the server from pxe/templates/*.tmpl. The syntax is
/// only <c>{{name}}</c>; an unknown placeholder is an error, so a typo never reaches a menu.
/// </summary>
internal sealed class MenuTemplates
{
    public static readonly string[] Names =
        ["pxelinux-deploy", "pxelinux-local", "grub-deploy", "grub-local", "ipxe-deploy", "ipxe-local"];

    private readonly Dictionary<string, string> _templates;

    private MenuTemplates(Dictionary<string, string> templates) => _templates = templates;

    public static MenuTemplates LoadEmbedded()
    {
        var assembly = typeof(MenuTemplates).Assembly;
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            using var stream = assembly.GetManifestResourceStream("templates/" + name + ".tmpl")
                ?? throw new InvalidOperationException($"boot-menu template {name}.tmpl is not embedded");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            templates[name] = reader.ReadToEnd();
        }
        return new MenuTemplates(templates);
    }

    public static MenuTemplates FromStrings(IReadOnlyDictionary<string, string> templates) => new(new(templates));

    public string Render(string name, IReadOnlyDictionary<string, string> values) => Render(_templates[name], name, values);

    internal static string Render(string template, string name, IReadOnlyDictionary<string, string> values)
    {
        var output = new StringBuilder(template.Length + 128);
        var position = 0;
        while (true)
        {
            var open = template.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                output.Append(template, position, template.Length - position);
                return output.ToString();
            }
            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"template {name}: unclosed '{{{{'");
            }
            var key = template[(open + 2)..close].Trim();
            if (!values.TryGetValue(key, out var value))
            {
                throw new FormatException($"template {name}: unknown placeholder '{key}'");
            }
            output.Append(template, position, open - position).Append(value);
            position = close + 2;
        }
    }
}
