"""Personal data in a column, recognised from its values alone: emails, phone numbers, person names, free text.

Column names are never read: an export may name its columns in any language. :func:`personal_kind` looks at the
present values of one column (a fixed sample of at most ``SAMPLE``) and returns what they are, or None:

- **emails**: at least ``MOST`` of the values contain an email address;
- **phone numbers**: at least ``MOST`` are 7–15 digits written with only ``+ ( ) . - /`` and spaces, and do not
  read as a quantity, a date or an IP address. Plain digits count only with a leading ``0`` (not ``000``, a padded
  code) or 10–15 of them, so ids and amounts such as a 6-digit lead number are not phones (a column of 10-digit ids
  or Unix times is, until declared safe);
- **free text**: at least ``FREE_TEXT_MIN_DISTINCT`` distinct values, as many as ``FREE_TEXT_DISTINCT`` times the
  number of values, at least ``MOST`` of them of ``FREE_TEXT_WORDS`` words or more and a median length of
  ``FREE_TEXT_LENGTH`` characters or more (messages, notes, addresses; a few dozen tags repeated is not free text);
- **person names**: the first word (after a title such as "Dr") of at least ``MOST`` of the values is a common
  given name of :data:`GIVEN_NAMES`, with at least ``MIN_NAMES`` different names among them.

Such a column must not become a feature nor be written anywhere; only its name and kind may be reported.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

SAMPLE = 20_000
MOST = 0.6
MIN_NAMES = 3
FREE_TEXT_MIN_DISTINCT = 20
FREE_TEXT_DISTINCT = 0.5
FREE_TEXT_WORDS = 3
FREE_TEXT_LENGTH = 20


def _normalise(word: str) -> str:
    """Lowercase without accents ("José" → "jose", "Søren" → "soren", "Łukasz" → "lukasz")."""
    folded = unicodedata.normalize("NFKD", word.casefold().replace("ø", "o").replace("ł", "l").replace("ß", "ss"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


_NAMES = """
    james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony donald
    steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas
    eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander patrick jack dennis jerry
    tyler aaron henry douglas peter adam nathan zachary walter kyle harold carl jeremy keith roger gerald ethan
    arthur terry sean lawrence dylan jesse bryan joe billy bruce albert willie gabriel logan alan
    juan wayne roy ralph randy vincent russell elijah louis bobby philip johnny noah liam oliver lucas
    owen luke isaac caleb connor evan jayden theodore harry oscar alfie archie freddie charlie leo
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley
    kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia
    kathleen amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel
    carolyn janet catherine maria diane ruth julie olivia joyce evelyn kelly christina lauren joan judith
    megan andrea cheryl hannah jacqueline martha gloria teresa ann sara frances kathryn janice jean abigail
    alice judy sophia denise marilyn danielle isabella theresa diana natalie doris kayla alexis
    lori tiffany ava mia amelia chloe ella zoe nora ellie freya sophie jessica lucy
    hans peter klaus jurgen wolfgang dieter gunter horst helmut uwe manfred bernd rainer werner gerhard stefan
    andreas thomas michael markus matthias sebastian tobias florian lukas lucas leon finn jonas felix maximilian
    niklas moritz julian paul elias ben johannes katharina ursula sabine petra monika gabriele renate birgit heike
    andrea claudia susanne stefanie julia lena lea hannah laura sarah anna marie johanna franziska lisa leonie
    jean pierre michel philippe alain nicolas christophe francois patrick eric laurent olivier sebastien julien
    guillaume thierry stephane pascal vincent antoine mathieu maxime hugo louis gabriel arthur raphael theo nathan
    marie nathalie isabelle sylvie catherine christine sandrine valerie celine aurelie camille manon chloe ines
    juliette louise alice lea emma marion elodie amelie helene monique francoise
    jose antonio manuel francisco juan javier carlos miguel rafael pedro alejandro fernando pablo sergio jorge
    luis alberto diego andres ricardo eduardo rodrigo mateo joaquin hugo alvaro raul enrique ignacio
    ramon jesus adrian ivan oscar ruben emilio maria carmen ana isabel dolores pilar teresa josefa lucia paula
    laura marta cristina elena sara raquel beatriz patricia silvia sofia valentina camila ximena daniela gabriela
    mariana fernanda alejandra guadalupe veronica adriana monica claudia lorena
    joao joaquim antonio francisco paulo pedro tiago goncalo rui nuno miguel rafael gustavo felipe matheus bruno
    leonardo thiago vitor marcos fabio ana mariana beatriz ines leonor matilde francisca larissa leticia juliana
    giuseppe giovanni antonio mario luigi francesco angelo vincenzo pietro salvatore carlo domenico bruno
    paolo michele giorgio aldo sergio luca marco andrea stefano alessandro lorenzo matteo riccardo davide simone
    federico gabriele tommaso filippo mattia giulia chiara francesca federica alessandra elisa silvia valentina
    martina sara giorgia beatrice alice anna angela giovanna teresa lucia carmela caterina
    jan piet kees henk willem johannes cornelis hendrik gerrit jeroen bas daan sem thijs ruben lars sven bram
    sanne anouk lieke femke fleur maaike marieke annemarie ingrid
    lars anders erik nils karl olof johan magnus gustav oskar axel hugo elias emil mikael fredrik henrik bjorn
    sven jens morten rasmus mads soren niels kasper kristian ole ingrid astrid sigrid karin kerstin birgitta ebba
    elsa maja wilma freja ida nanna mette hanne lene anja tove liv solveig
    piotr krzysztof andrzej tomasz pawel marcin michal grzegorz jakub lukasz kamil mateusz wojciech adam maciej
    anna maria katarzyna malgorzata agnieszka barbara ewa krystyna magdalena joanna aleksandra zofia monika
    jiri josef pavel martin tomas petr vaclav jaroslav zdenek jana tereza petra lucie katerina eva hana
    alexei aleksei alexandr aleksandr sergei sergey dmitri dmitry andrei andrey vladimir nikolai mikhail ivan
    yuri igor oleg pavel viktor maxim artem olga tatiana tatyana natalia natalya elena irina svetlana ekaterina
    yekaterina anastasia ludmila galina oksana yulia daria ksenia polina
    mehmet mustafa ahmet ali huseyin hasan ibrahim murat emre burak fatma ayse emine hatice zeynep elif merve
    mohammed muhammad mohammad mohamed ahmed ahmad mahmoud omar omer khalid hassan hussein youssef yusuf abdullah
    abdul karim tariq faisal samir nabil walid rami ziad amir aisha fatima fatemeh zahra maryam mariam layla leila
    noor nour amina khadija salma yasmin hana huda rania reem
    raj rahul amit sanjay sunil anil vijay ajay suresh ramesh rajesh mahesh dinesh ganesh arjun aditya rohit
    rohan vikram vivek manoj deepak ashok prakash krishna arun varun nikhil abhishek akash ankit gaurav
    karan kunal mohit pranav sachin saurabh siddharth sandeep yash aarav vihaan ishaan priya pooja neha anjali
    deepika divya kavya lakshmi meera nisha riya shreya sneha sunita swati ananya aditi aishwarya anushka isha
    kavita rekha sapna shweta tanvi
    wei jie hao jun lei ming yong jian bo xin hui jing li-na xiaoming xiaoli xiaohong
    zhiwei yiming haoran zihan yuxuan xinyi yuting jiahui
    hiroshi takashi takeshi kenji kenta daiki haruto yuto sota ren riku hiroki kazuki shota yuki akira satoshi
    yuka yui yuna hina sakura aoi mei rin haruka misaki ayaka nanami keiko yoko tomoko naoko
    min-jun seo-jun ji-ho ji-hoon hyun-woo dong-hyun jiwoo ji-woo seo-yeon ji-yeon min-ji soo-jin eun-ji
    chinedu emeka chukwuemeka ngozi chioma oluwaseun olumide adebayo tunde kemi funmilayo kwame kofi kwabena
    abena akosua thabo sipho themba lerato zanele wanjiru
    minh anh thanh tuan linh huong
    иван александр сергей дмитрий андрей алексей михаил николай владимир ольга елена наталья татьяна ирина
    светлана анна мария екатерина анастасия
"""
GIVEN_NAMES = frozenset(_normalise(name) for name in _NAMES.split())
"""Common given names from many countries, as :func:`_normalise` writes them (lowercase, no accents).
Names that are also common words, months, colours or places (Will, Mark, May, June, Rose, Georgia, Victoria,
Florence, Austin, India…) are left out: a column of such values must not read as names."""

_TITLES = "mr mrs ms miss mx dr prof sir herr frau m mme mlle sr sra srta sig dott"
TITLES = frozenset(_TITLES.split())

_EMAIL = r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[^\W\d_]{2,}"
_PHONE_SHAPE = r"\+?[\d\s().\-/]+"
_PLAIN_PHONE = r"\+\d+|0{1,2}[1-9]\d*|[1-9]\d{9,14}"  # plain digits: + or a leading 0 (not 000), or 10-15 digits
_NOT_PHONE = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?: \d{3})+(?:[.,]\d+)?"  # 1.234.567 or 1 234 567: a grouped quantity
    r"|-\d+(?:\.\d+)?|\d+\.\d+"  # a negative or decimal quantity
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})"  # a date
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def personal_kind(values: pd.Series) -> str | None:
    """``"emails"``, ``"phone numbers"``, ``"free text"`` or ``"person names"`` when the column's present values
    are that kind of personal data (rules in the module docstring), else None. Pure: reads the values only."""
    counts = _value_counts(values)
    if counts is None or counts.empty:
        return None
    text = counts.index.to_series(index=counts.index)
    if _share(counts, text.str.contains(_EMAIL, regex=True)) >= MOST:
        return "emails"
    if _share(counts, _phone_like(text)) >= MOST:
        return "phone numbers"
    if _free_text(counts, text):
        return "free text"
    names = text.map(_given_name)
    if _share(counts, names.notna()) >= MOST and names.nunique() >= MIN_NAMES:
        return "person names"
    return None


def personal_value(value: str) -> str | None:
    """``"email"``, ``"phone number"`` or ``"person name"`` when one short text reads as that (a name: any
    capitalised word that is a given name, e.g. ``spoke to Anna``), else None. Errs towards withholding: for
    words that reach reports, such as a rep's reason."""
    text = pd.Series([str(value)])
    if text.str.contains(_EMAIL, regex=True).iloc[0]:
        return "email"
    if _phone_like(text).fillna(False).iloc[0] or text.str.contains(r"\d{7,}").iloc[0]:
        return "phone number"
    if any(w[0].isupper() and _normalise(w) in GIVEN_NAMES for w in _WORD.findall(str(value))):
        return "person name"
    return None


def personal_columns(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: kind}`` for every column of ``frame`` that :func:`personal_kind` finds personal, in order."""
    return {col: kind for col in frame.columns if (kind := personal_kind(frame[col])) is not None}


def _value_counts(values: pd.Series) -> pd.Series | None:
    """Counts of the distinct present values as stripped text (a fixed sample of at most ``SAMPLE`` values); None
    for columns that cannot hold personal text (floats, booleans, timestamps)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    textual = (
        pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )
    if not (textual or pd.api.types.is_integer_dtype(dtype)):
        return None
    present = values.dropna()
    if len(present) > SAMPLE:
        present = present.sample(SAMPLE, random_state=0)
    text = present.astype(str).str.strip()
    return text[text != ""].value_counts(sort=False)


def _share(counts: pd.Series, hit: pd.Series) -> float:
    return float(counts[hit.fillna(False).to_numpy(dtype=bool)].sum() / counts.sum())


def _phone_like(text: pd.Series) -> pd.Series:
    digits = text.str.count(r"\d")
    shaped = text.str.fullmatch(_PHONE_SHAPE) & digits.between(7, 15) & ~text.str.fullmatch(_NOT_PHONE)
    plain = text.str.fullmatch(r"\+?\d+")
    return shaped & (~plain | text.str.fullmatch(_PLAIN_PHONE))


def _free_text(counts: pd.Series, text: pd.Series) -> bool:
    if len(counts) < FREE_TEXT_MIN_DISTINCT or len(counts) < FREE_TEXT_DISTINCT * counts.sum():
        return False
    if _share(counts, text.str.count(r"\S+") >= FREE_TEXT_WORDS) < MOST:
        return False
    lengths = np.repeat(text.str.len().to_numpy(), counts.to_numpy())
    return float(np.median(lengths)) >= FREE_TEXT_LENGTH


def _given_name(value: str) -> str | None:
    """The value's first word (after a title) when it is a given name of :data:`GIVEN_NAMES`, else None."""
    words = [_normalise(w) for w in _WORD.findall(value)[:2]]
    if words and words[0] in TITLES:
        words = words[1:]
    return words[0] if words and words[0] in GIVEN_NAMES else None
