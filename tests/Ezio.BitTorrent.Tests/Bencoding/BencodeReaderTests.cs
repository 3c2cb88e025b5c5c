using System.Text;
using Ezio.BitTorrent.Bencoding;
using Xunit;

namespace Ezio.BitTorrent.Tests.Bencoding;

public sealed class BencodeReaderTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [InlineData("i0e", 0L)]
    [InlineData("i42e", 42L)]
    [InlineData("i-7e", -7L)]
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    public void ReadInteger_Canonical_ReturnsValue(string input, long expected)
    {
        var reader = new BencodeReader(B(input));
        Assert.Equal(BencodeToken.Integer, reader.Peek());
        Assert.Equal(expected, reader.ReadInteger());
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("ie", BencodeError.InvalidInteger)]
    [InlineData("i-e", BencodeError.InvalidInteger)]
    [InlineData("i-0e", BencodeError.InvalidInteger)]
    [InlineData("i03e", BencodeError.InvalidInteger)]
    [InlineData("i-03e", BencodeError.InvalidInteger)]
    [InlineData("i00e", BencodeError.InvalidInteger)]
    [InlineData("i1.5e", BencodeError.InvalidInteger)]
    [InlineData("i+1e", BencodeError.InvalidInteger)]
    [InlineData("i 1e", BencodeError.InvalidInteger)]
    [InlineData("i9223372036854775808e", BencodeError.InvalidInteger)]
    [InlineData("i-9223372036854775809e", BencodeError.InvalidInteger)]
    [InlineData("i99999999999999999999999999e", BencodeError.InvalidInteger)]
    [InlineData("i12", BencodeError.UnexpectedEnd)]
    [InlineData("i", BencodeError.UnexpectedEnd)]
    [InlineData("", BencodeError.UnexpectedEnd)]
    [InlineData("4:spam", BencodeError.WrongType)]
    public void ReadInteger_Malformed_Throws(string input, BencodeError reason)
    {
        var e = Assert.Throws<BencodeException>(() => new BencodeReader(B(input)).ReadInteger());
        Assert.Equal(reason, e.Reason);
    }

    [Theory]
    [InlineData("0:", "")]
    [InlineData("4:spam", "spam")]
    [InlineData("3:a:b", "a:b")]
    public void ReadString_Valid_ReturnsSliceOfInput(string input, string expected)
    {
        var reader = new BencodeReader(B(input));
        Assert.Equal(expected, Encoding.Latin1.GetString(reader.ReadString()));
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("99999999999999999999:", BencodeError.InvalidLength)]
    [InlineData("2147483648:x", BencodeError.InvalidLength)]
    [InlineData("5:spam", BencodeError.UnexpectedEnd)]
    [InlineData("4:spa", BencodeError.UnexpectedEnd)]
    [InlineData("04:spam", BencodeError.InvalidLength)]
    [InlineData("00:", BencodeError.InvalidLength)]
    [InlineData("4x:spam", BencodeError.InvalidLength)]
    [InlineData("-1:x", BencodeError.WrongType)]
    [InlineData("4", BencodeError.InvalidLength)]
    [InlineData("i1e", BencodeError.WrongType)]
    public void ReadString_Malformed_Throws(string input, BencodeError reason)
    {
        var e = Assert.Throws<BencodeException>(() => new BencodeReader(B(input)).ReadString());
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void ReadString_HugeLength_FailsAtTheFirstDigitPastTheInput()
    {
        // A length is rejected as soon as it exceeds what remains, not after parsing it all.
        var e = Assert.Throws<BencodeException>(() => new BencodeReader(B("99999999999999999999:")).ReadString());
        Assert.Equal(0, e.Position);
    }

    [Fact]
    public void Containers_Nested_ReadInOrder()
    {
        var reader = new BencodeReader(B("d4:listli1e3:twoe3:numi-3ee"));
        reader.ReadDictionaryStart();
        Assert.Equal("list", Encoding.ASCII.GetString(reader.ReadString()));
        reader.ReadListStart();
        Assert.Equal(1, reader.ReadInteger());
        Assert.Equal("two", Encoding.ASCII.GetString(reader.ReadString()));
        Assert.True(reader.TryReadEnd());
        Assert.Equal("num", Encoding.ASCII.GetString(reader.ReadString()));
        Assert.Equal(-3, reader.ReadInteger());
        Assert.Equal(1, reader.Depth);
        reader.ReadEnd();
        Assert.Equal(0, reader.Depth);
        Assert.Equal(BencodeToken.None, reader.Peek());
        reader.EnsureAtEnd();
    }

    [Fact]
    public void SkipValue_Dictionary_ReturnsOriginalBytes()
    {
        // Unsorted keys are accepted: their bytes are what gets hashed.
        const string value = "d1:zi1e1:ali1ei2eee";
        var reader = new BencodeReader(B("l" + value + "i9ee"));
        reader.ReadListStart();
        Assert.Equal(value, Encoding.Latin1.GetString(reader.SkipValue()));
        Assert.Equal(9, reader.ReadInteger());
        reader.ReadEnd();
    }

    [Fact]
    public void SkipValue_NestedTenThousandDeep_ThrowsTooDeep()
    {
        byte[] input = B(new string('l', 10_000) + new string('e', 10_000));
        var e = Assert.Throws<BencodeException>(() => new BencodeReader(input).SkipValue());
        Assert.Equal(BencodeError.TooDeep, e.Reason);
    }

    [Fact]
    public void SkipValue_AtMaxDepth_Succeeds()
    {
        byte[] input = B(new string('l', 64) + new string('e', 64));
        var reader = new BencodeReader(input);
        Assert.Equal(input.Length, reader.SkipValue().Length);
    }

    [Theory]
    [InlineData("d", BencodeError.UnexpectedEnd)]
    [InlineData("l", BencodeError.UnexpectedEnd)]
    [InlineData("li1e", BencodeError.UnexpectedEnd)]
    [InlineData("di1ei2ee", BencodeError.WrongType)]
    [InlineData("d1:ae", BencodeError.UnexpectedByte)]
    [InlineData("e", BencodeError.UnexpectedByte)]
    [InlineData("x", BencodeError.UnexpectedByte)]
    [InlineData("l-1:xe", BencodeError.UnexpectedByte)]
    [InlineData("", BencodeError.UnexpectedEnd)]
    public void SkipValue_Malformed_Throws(string input, BencodeError reason)
    {
        var e = Assert.Throws<BencodeException>(() => new BencodeReader(B(input)).SkipValue());
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void EnsureAtEnd_TrailingBytes_ThrowsTrailingData()
    {
        var e = Assert.Throws<BencodeException>(() =>
        {
            var reader = new BencodeReader(B("i1ei2e"));
            reader.SkipValue();
            reader.EnsureAtEnd();
        });
        Assert.Equal(BencodeError.TrailingData, e.Reason);
        Assert.Equal(3, e.Position);
    }

    [Fact]
    public void TryReadEnd_OutsideContainer_ReturnsFalse()
    {
        var reader = new BencodeReader(B("e"));
        Assert.False(reader.TryReadEnd());
        Assert.Throws<BencodeException>(() => new BencodeReader(B("e")).ReadEnd());
    }

    [Fact]
    public void Constructor_DepthBeyondLimit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeReader([], BencodeReader.MaxAllowedDepth + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeReader([], 0));
    }

    [Fact]
    public void SkipValue_RandomBytes_NeverThrowsAnythingElse()
    {
        var random = new Random(1234);
        byte[] alphabet = B("ilde0123456789:-x");
        for (int round = 0; round < 20_000; round++)
        {
            byte[] input = new byte[random.Next(0, 24)];
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = alphabet[random.Next(alphabet.Length)];
            }
            try
            {
                var reader = new BencodeReader(input);
                reader.SkipValue();
                reader.EnsureAtEnd();
            }
            catch (BencodeException)
            {
            }
        }
    }
}
