package salesforcetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// seedUsers adds the org's users: the API user, an admin working in the UI,
// the Data Loader user, the automated process user and a few sales reps who
// own and create the seeded records.
func seedUsers(o *object, now time.Time, apiUsername string) {
	created := now.Add(-3 * 365 * 24 * time.Hour).Truncate(time.Hour).Unix()
	users := [][3]string{
		{apiUsername, "Integration", "User"},
		{"alex.admin@contactsync.example", "Alex", "Admin"},
		{"dataloader@contactsync.example", "Data", "Loader"},
		{"autoproc@00d5g0000000001.example", "Automated", "Process"},
		{"maria.garcia@contactsync.example", "Maria", "Garcia"},
		{"james.smith@contactsync.example", "James", "Smith"},
		{"priya.patel@contactsync.example", "Priya", "Patel"},
		{"lukas.schmidt@contactsync.example", "Lukas", "Schmidt"},
		{"chloe.martin@contactsync.example", "Chloé", "Martin"},
		{"wei.chen@contactsync.example", "Wei", "Chen"},
	}
	vals := make([]string, o.slots)
	for _, u := range users {
		clear(vals)
		set := func(f, v string) { vals[o.field(f).slot] = v }
		set("Username", u[0])
		set("FirstName", u[1])
		set("LastName", u[2])
		set("Email", u[0])
		alias := strings.ToLower(u[1][:1] + u[2])
		if len(alias) > 8 {
			alias = alias[:8]
		}
		set("Alias", alias)
		set("IsActive", "true")
		o.recs = append(o.recs, record{created: created, modified: created, stamp: created,
			createdBy: userAdmin, modifiedBy: userAdmin, vals: pack(vals)})
	}
}

// country holds what it takes to make a plausible contact from one country.
type country struct {
	name   string
	first  []string
	last   []string
	cities []string
	tld    string
	phone  func(r *rand.Rand) string
}

var freeMail = []string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "proton.me"}

var companies = []string{"acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne",
	"wonka", "tyrell", "cyberdyne", "soylent", "gringotts", "oceanic", "monarch", "pied-piper"}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func usPhone(r *rand.Rand) string {
	area := pick(r, []string{"415", "212", "646", "312", "617", "206", "305", "512", "213", "303"})
	ex := string(rune('2'+r.IntN(8))) + digits(r, 2)
	line := digits(r, 4)
	switch r.IntN(13) {
	case 0:
		return fmt.Sprintf("%s.%s.%s", area, ex, line)
	case 1:
		return fmt.Sprintf("%s-%s-%s", area, ex, line)
	case 2:
		return fmt.Sprintf("+1 %s %s %s", area, ex, line)
	case 3:
		return fmt.Sprintf("+1 (%s) %s-%s", area, ex, line)
	case 4:
		return fmt.Sprintf("1-%s-%s-%s", area, ex, line)
	case 5:
		return area + ex + line
	case 6:
		return "+1" + area + ex + line
	case 7:
		return fmt.Sprintf("(%s) %s-%s ext. %d", area, ex, line, 1+r.IntN(999))
	case 8:
		return fmt.Sprintf("%s-%s-%s x%d", area, ex, line, 100+r.IntN(900))
	case 9:
		return fmt.Sprintf("%s %s %s", area, ex, line)
	}
	return fmt.Sprintf("(%s) %s-%s", area, ex, line)
}

// The phone functions below pick one of the ways people write a number of
// that country. Each draws the digits first, then the format, so that a seed
// always gives the same org.

func ukPhone(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		n := digits(r, 6)
		return pick(r, []string{"07700 " + n, "+447700" + n, "0044 7700 " + n, "+44 7700 " + n[:3] + " " + n[3:]})
	}
	n := digits(r, 4)
	return pick(r, []string{"020 7946 " + n, "+44 (0)20 7946 " + n, "(020) 7946-" + n, "+44 20 7946 " + n})
}

func dePhone(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		n := digits(r, 8)
		return pick(r, []string{"+49 151 " + n, "0151 " + n})
	}
	n := digits(r, 6)
	return pick(r, []string{"030 " + n, "030/" + n, "0049 30 " + n, "+49 (0)30 " + n, "+49 30 " + n})
}

func frPhone(r *rand.Rand) string {
	lead := pick(r, []string{"1", "6", "7", "4"})
	p := []string{digits(r, 2), digits(r, 2), digits(r, 2), digits(r, 2)}
	return pick(r, []string{
		"0" + lead + " " + strings.Join(p, " "),
		"0" + lead + "." + strings.Join(p, "."),
		"+33" + lead + strings.Join(p, ""),
		"+33 " + lead + " " + strings.Join(p, " "),
	})
}

func brPhone(r *rand.Rand) string {
	ddd := pick(r, []string{"11", "21", "31", "41", "51"})
	if r.IntN(2) == 0 {
		a, b := "9"+digits(r, 4), digits(r, 4)
		return pick(r, []string{"(" + ddd + ") " + a + "-" + b, "+55 " + ddd + " " + a + "-" + b, "+55" + ddd + a + b})
	}
	a, b := string(rune('2'+r.IntN(4)))+digits(r, 3), digits(r, 4)
	return pick(r, []string{ddd + " " + a + "-" + b, "+55 (" + ddd + ") " + a + "-" + b})
}

func inPhone(r *rand.Rand) string {
	if r.IntN(3) > 0 {
		a, b := string(rune('7'+r.IntN(3)))+digits(r, 4), digits(r, 5)
		return pick(r, []string{"+91 " + a + " " + b, "0" + a + " " + b, a + b, "+91-" + a + b})
	}
	a, b := "2"+digits(r, 3), digits(r, 4)
	return pick(r, []string{"+91-22-" + a + "-" + b, "022 " + a + " " + b})
}

func auPhone(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		a, b := "4"+digits(r, 2), digits(r, 3)+" "+digits(r, 3)
		return pick(r, []string{"0" + a + " " + b, "+61 " + a + " " + b})
	}
	a, b := digits(r, 4), digits(r, 4)
	return pick(r, []string{"(02) 9" + a[1:] + " " + b, "+61 2 9" + a[1:] + " " + b, "02 9" + a[1:] + " " + b})
}

func mxPhone(r *rand.Rand) string {
	a, b := digits(r, 4), digits(r, 4)
	return pick(r, []string{"+52 55 " + a + " " + b, "(55) " + a + "-" + b, "55 " + a + " " + b})
}

// junkPhones are values people type into phone fields that are not numbers.
var junkPhones = []string{"12 3", "123", "n/a", "000000", "TBD", "+1", "0", "see notes", "555-CALL-NOW"}

var countries = []country{
	{"United States", []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Chris", "Ashley"},
		[]string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "O'Brien", "Lee"},
		[]string{"San Francisco", "New York", "Chicago", "Boston", "Seattle", "Austin", "Miami"}, "com", usPhone},
	{"United Kingdom", []string{"Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily"},
		[]string{"Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Edwards"},
		[]string{"London", "Manchester", "Leeds", "Bristol", "Edinburgh"}, "co.uk", ukPhone},
	{"Germany", []string{"Lukas", "Mia", "Leon", "Emma", "Finn", "Hannah", "Jürgen", "Sophie"},
		[]string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"},
		[]string{"Berlin", "München", "Hamburg", "Köln", "Frankfurt"}, "de", dePhone},
	{"France", []string{"Louis", "Chloé", "Gabriel", "Léa", "Hugo", "Manon", "François", "Zoë"},
		[]string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Lefèvre", "Moreau"},
		[]string{"Paris", "Lyon", "Marseille", "Toulouse", "Nantes"}, "fr", frPhone},
	{"Brazil", []string{"João", "Maria", "Pedro", "Ana", "Lucas", "Juliana", "Gabriel", "Beatriz"},
		[]string{"Silva", "Santos", "Oliveira", "Souza", "Gonçalves", "Pereira", "Lima", "Costa"},
		[]string{"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba"}, "com.br", brPhone},
	{"India", []string{"Aarav", "Priya", "Vivaan", "Ananya", "Arjun", "Diya", "Rohan", "Isha"},
		[]string{"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair"},
		[]string{"Mumbai", "Bengaluru", "Delhi", "Chennai", "Pune"}, "in", inPhone},
	{"Australia", []string{"Jack", "Charlotte", "William", "Olivia", "Noah", "Mia", "Thomas", "Grace"},
		[]string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "White"},
		[]string{"Sydney", "Melbourne", "Brisbane", "Perth"}, "com.au", auPhone},
	{"Mexico", []string{"José", "Guadalupe", "Luis", "Sofía", "Carlos", "Valentina", "Miguel", "Ximena"},
		[]string{"Hernández", "García", "Martínez", "López", "González", "Pérez", "Ñúñez", "Ramírez"},
		[]string{"Ciudad de México", "Guadalajara", "Monterrey", "Puebla"}, "com.mx", mxPhone},
}

// countryWeights sums to 100.
var countryWeights = []int{40, 14, 10, 8, 7, 9, 6, 6}

var titles = []string{"CEO", "CTO", "VP Sales", "Account Executive", "Marketing Manager", "Buyer",
	"Office Manager", "Software Engineer", "Director of Operations", "Head of Support", "Consultant"}

var departments = []string{"Sales", "Marketing", "Engineering", "Finance", "Operations", "Support", "Procurement"}

var leadSources = []string{"Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Word of mouth", "Other"}

// asciiFold maps the accented letters the name lists use to ASCII, the way
// people do when they make up an email address.
var asciiFold = strings.NewReplacer("ü", "u", "ö", "o", "ä", "a", "é", "e", "è", "e", "ë", "e",
	"ç", "c", "ã", "a", "á", "a", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "Ñ", "N", "Ú", "U", "'", "")

func email(r *rand.Rand, c *country, first, last string) string {
	f := strings.ToLower(asciiFold.Replace(first))
	l := strings.ToLower(strings.ReplaceAll(asciiFold.Replace(last), " ", ""))
	var local string
	switch r.IntN(6) {
	case 0:
		local = f[:1] + l
	case 1:
		local = f + l[:1]
	case 2:
		local = f + "_" + l
	case 3:
		local = f + "." + l + "+" + pick(r, []string{"crm", "news", "work"})
	case 4:
		local = f + digits(r, 2)
	default:
		local = f + "." + l
	}
	var domain string
	if r.IntN(2) == 0 {
		domain = pick(r, freeMail)
	} else {
		domain = pick(r, companies) + "." + c.tld
	}
	e := local + "@" + domain
	switch n := r.IntN(100); {
	case n < 5:
		return strings.ToUpper(e)
	case n < 13:
		// Capitalised as typed into a form: John.Smith@Gmail.com.
		return strings.ToUpper(e[:1]) + e[1:strings.IndexByte(e, '@')+1] +
			strings.ToUpper(domain[:1]) + domain[1:]
	}
	return e
}

// seedContacts appends n deterministic contacts to o, created over the two
// years before now. About a third arrive in bulk imports (Data Loader, one
// CreatedDate second per batch); the rest are created one at a time by sales
// reps. Some were edited later, some share a SystemModstamp from a mass
// recalculation, and a few sit in the recycle bin or were merged away.
func seedContacts(o *object, n int, seed uint64, now time.Time) {
	if n <= 0 {
		return
	}
	r := rand.New(rand.NewPCG(seed, 0xc0ffee))
	end := now.Add(-time.Hour).Truncate(time.Hour).Unix()
	start := end - 2*365*24*3600
	step := float64(end-start) / float64(n)
	// A handful of recalculation runs touch SystemModstamp only, giving
	// thousands of records one shared stamp.
	recalcs := []int64{end - 90*24*3600, end - 30*24*3600, end - 7*24*3600, end - 24*3600}

	o.recs = append(make([]record, 0, n), o.recs...)
	vals := make([]string, o.slots)
	slot := func(name string) int { return o.field(name).slot }
	sFirst, sLast, sSal, sEmail := slot("FirstName"), slot("LastName"), slot("Salutation"), slot("Email")
	sPhone, sMobile, sHome, sOther := slot("Phone"), slot("MobilePhone"), slot("HomePhone"), slot("OtherPhone")
	sTitle, sDept, sCity, sCountry := slot("Title"), slot("Department"), slot("MailingCity"), slot("MailingCountry")
	sSource, sDesc := slot("LeadSource"), slot("Description")

	var recentEmails, recentPhones [512]string
	batchLeft, batchBy := 0, uint32(0)
	var batchAt int64
	for i := 0; i < n; i++ {
		t := start + int64(float64(i)*step)
		var createdBy uint32
		if batchLeft == 0 && r.IntN(400) == 0 {
			batchLeft, batchAt, batchBy = 20+r.IntN(480), t, userDataLoader
		}
		if batchLeft > 0 {
			batchLeft--
			t, createdBy = batchAt, batchBy
		} else {
			createdBy = firstSalesUser + uint32(r.IntN(salesUsers))
		}

		c := &countries[weighted(r, countryWeights)]
		first, last := pick(r, c.first), pick(r, c.last)
		clear(vals)
		vals[sFirst], vals[sLast] = first, last
		if r.IntN(20) == 0 {
			vals[sFirst] = "" // only a last name, as Salesforce allows
		}
		if r.IntN(3) == 0 {
			vals[sSal] = pick(r, []string{"Mr.", "Ms.", "Mrs.", "Dr.", "Prof."})
		}
		switch k := r.IntN(100); {
		case k < 12: // no email
		case k < 15 && recentEmails[i%512] != "":
			vals[sEmail] = recentEmails[r.IntN(512)] // a shared inbox
		default:
			vals[sEmail] = email(r, c, first, last)
		}
		if vals[sEmail] != "" {
			recentEmails[i%512] = vals[sEmail]
		}
		phone := func() string {
			switch k := r.IntN(100); {
			case k < 2:
				return pick(r, junkPhones)
			case k < 5 && recentPhones[i%512] != "":
				return recentPhones[r.IntN(512)] // an office's main line
			}
			return c.phone(r)
		}
		if r.IntN(10) < 7 {
			vals[sPhone] = phone()
			recentPhones[i%512] = vals[sPhone]
		}
		if r.IntN(10) < 4 {
			vals[sMobile] = phone()
		}
		if r.IntN(20) == 0 {
			vals[sHome] = phone()
		}
		if r.IntN(30) == 0 {
			vals[sOther] = phone()
		}
		if r.IntN(2) == 0 {
			vals[sTitle] = pick(r, titles)
		}
		if r.IntN(5) == 0 {
			vals[sDept] = pick(r, departments)
		}
		vals[sCity], vals[sCountry] = pick(r, c.cities), c.name
		if r.IntN(8) == 0 {
			vals[sCountry] = "" // half-filled address
		}
		if createdBy == userDataLoader {
			vals[sSource] = "Purchased List"
		} else if r.IntN(3) == 0 {
			vals[sSource] = pick(r, leadSources)
		}
		if r.IntN(50) == 0 {
			vals[sDesc] = "Met at " + pick(r, []string{"Dreamforce", "a webinar", "the Berlin meetup"}) + "; follow up."
		}

		rec := record{created: t, modified: t, stamp: t, createdBy: createdBy, modifiedBy: createdBy,
			owner: firstSalesUser + uint32(r.IntN(salesUsers)), vals: pack(vals)}
		switch k := r.IntN(100); {
		case k < 35: // edited by a person later
			rec.modified = t + r.Int64N(end-t+1)
			rec.stamp, rec.modifiedBy = rec.modified, firstSalesUser+uint32(r.IntN(salesUsers))
		case k < 40: // touched only by a system recalculation
			if at := pick(r, recalcs); at > t {
				rec.stamp = at
			}
		}
		switch k := r.IntN(1000); {
		case k < 5: // in the recycle bin
			rec.deleted, rec.deletedAt = true, end-r.Int64N(14*24*3600)
			rec.stamp = max(rec.stamp, rec.deletedAt)
		case k < 7 && i > 0: // merged into an older contact
			rec.deleted, rec.deletedAt = true, end-r.Int64N(14*24*3600)
			rec.stamp = max(rec.stamp, rec.deletedAt)
			rec.master = uint32(1 + r.IntN(i)) // sequence numbers start at 1
		}
		o.recs = append(o.recs, rec)
	}
	// A merge's master must be alive; point at the next live one instead.
	for i := range o.recs {
		for m := o.recs[i].master; m != 0 && o.recs[m-1].deleted; m = o.recs[i].master {
			o.recs[i].master = m%uint32(len(o.recs)) + 1
		}
	}
}

func weighted(r *rand.Rand, weights []int) int {
	n := r.IntN(100)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
