using System.Buffers.Binary;
using System.Text;
using Ezio.Agent.Journal;
using Xunit;

namespace Ezio.Agent.Tests.Journal;

public sealed class JournalEntryTests
{
    [Fact]
    public void Add_SingleLineValue_UsesKeyEqualsValue()
    {
        using var entry = new JournalEntry();
        entry.Add("MESSAGE", "hello");
        entry.Add("PRIORITY", "6");
        Assert.Equal("MESSAGE=hello\nPRIORITY=6\n", Encoding.UTF8.GetString(entry.Bytes));
    }

    [Fact]
    public void Add_MultiLineValue_UsesBinarySafeForm()
    {
        using var entry = new JournalEntry();
        entry.Add("EXCEPTION", "line1\nline2");
        var bytes = entry.Bytes.ToArray();
        Assert.Equal("EXCEPTION\n"u8.ToArray(), bytes[..10]);
        Assert.Equal(11UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(10, 8)));
        Assert.Equal("line1\nline2\n", Encoding.UTF8.GetString(bytes, 18, bytes.Length - 18));
    }

    [Theory]
    [InlineData("_TRUSTED")]
    [InlineData("1ABC")]
    [InlineData("lower")]
    [InlineData("")]
    public void Add_InvalidFieldName_IsDropped(string name)
    {
        using var entry = new JournalEntry();
        entry.Add(name, "x");
        Assert.Equal(0, entry.Length);
    }

    [Theory]
    [InlineData("Phase", "EZIO_PHASE")]
    [InlineData("peerAddress", "EZIO_PEER_ADDRESS")]
    [InlineData("DeploymentId", "EZIO_DEPLOYMENT_ID")]
    [InlineData("Seconds:0.0", "EZIO_SECONDS_0_0")]
    public void FieldName_TemplateProperty_IsUpperSnakeWithPrefix(string property, string expected) =>
        Assert.Equal(expected, JournalEntry.FieldName(property));
}
