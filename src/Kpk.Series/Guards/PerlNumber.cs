using System.Globalization;
using System.Numerics;

namespace Kpk.Series.Guards;

/// <summary>
/// A number as perl holds it after <c>0+$string</c>: an integer while it fits 64 bits (signed, or
/// unsigned when positive), a double beyond. guards only prints it (<c>--default</c> in its help
/// text) and XORs it with 0 or 1, so we keep its printed form and whether it is 0 or 1.
/// </summary>
public readonly record struct PerlNumber(string Text, bool IsZero, bool IsOne)
{
    public static readonly PerlNumber One = new("1", false, true);

    private static readonly BigInteger UnsignedMax = BigInteger.Pow(2, 64) - 1;
    private static readonly BigInteger SignedMinMagnitude = BigInteger.Pow(2, 63);

    /// <summary>
    /// perl's numeric value of a string made of an optional sign and digits, maybe followed by other
    /// characters (which perl ignores with an "isn't numeric" warning; <paramref name="wholeString"/>
    /// is false then).
    /// </summary>
    public static PerlNumber Parse(string text, out bool wholeString)
    {
        int i = 0;
        while (i < text.Length && ByteText.IsSpace(text[i])) i++;
        bool negative = false;
        if (i < text.Length && text[i] is '+' or '-') negative = text[i++] == '-';
        int digitsStart = i;
        while (i < text.Length && text[i] is >= '0' and <= '9') i++;
        string digits = text[digitsStart..i];
        while (i < text.Length && ByteText.IsSpace(text[i])) i++; // trailing white space is allowed
        wholeString = digits.Length > 0 && i == text.Length;
        if (digits.Length == 0) return new PerlNumber("0", true, false);
        var magnitude = BigInteger.Parse(digits, CultureInfo.InvariantCulture);
        if (magnitude.IsZero) return new PerlNumber("0", true, false);
        bool fits = negative ? magnitude <= SignedMinMagnitude : magnitude <= UnsignedMax;
        if (fits)
        {
            string integer = (negative ? "-" : "") + magnitude.ToString(CultureInfo.InvariantCulture);
            return new PerlNumber(integer, false, !negative && magnitude.IsOne);
        }
        double value = (double)magnitude * (negative ? -1 : 1);
        return new PerlNumber(FormatG(value, 15), false, false);
    }

    /// <summary>C's <c>%.{precision}g</c>, which perl uses to print doubles.</summary>
    public static string FormatG(double value, int precision)
    {
        if (value == 0) return "0";
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "Inf" : "-Inf";
        // Round to the precision first: the exponent after rounding decides the style.
        string scientific = value.ToString("E" + (precision - 1), CultureInfo.InvariantCulture); // d.dddE+xxx
        int e = scientific.IndexOf('E');
        int exponent = int.Parse(scientific[(e + 1)..], CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= precision)
        {
            string mantissa = TrimFraction(scientific[..e]);
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        string fixedForm = value.ToString("F" + Math.Max(0, precision - 1 - exponent), CultureInfo.InvariantCulture);
        return TrimFraction(fixedForm);
    }

    private static string TrimFraction(string number) =>
        number.Contains('.') ? number.TrimEnd('0').TrimEnd('.') : number;
}
