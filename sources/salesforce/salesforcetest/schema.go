package salesforcetest

import "strings"

// kind is the Salesforce data type of a field, as far as the simulator
// distinguishes them.
type kind uint8

const (
	kindString kind = iota
	kindTextArea
	kindEmail
	kindPhone
	kindPicklist
	kindURL
	kindReference
	kindID
	kindBoolean
	kindDateTime
)

// soapType names kinds in describe results.
var soapType = map[kind]string{
	kindString: "string", kindTextArea: "textarea", kindEmail: "email",
	kindPhone: "phone", kindPicklist: "picklist", kindURL: "url",
	kindReference: "reference", kindID: "id", kindBoolean: "boolean",
	kindDateTime: "datetime",
}

// sysField identifies a field held in a typed slot of record rather than in
// its packed values.
type sysField uint8

const (
	sysNone sysField = iota
	sysID
	sysIsDeleted
	sysMasterRecordID
	sysName
	sysOwnerID
	sysCreatedDate
	sysCreatedByID
	sysLastModifiedDate
	sysLastModifiedByID
	sysSystemModstamp
	sysCaseNumber
)

// fieldDef describes one field of an sObject.
type fieldDef struct {
	Name     string
	Label    string
	Kind     kind
	Length   int
	Required bool   // nillable=false and createable: REQUIRED_FIELD_MISSING when absent
	Default  string // picklist default on create
	Refers   string // sObject a reference points to
	sys      sysField
	slot     int // index into record.vals when sys == sysNone
}

// writable reports whether clients may set the field on insert and update.
func (f *fieldDef) writable() bool {
	return f.sys == sysNone || f.sys == sysOwnerID
}

// object is the schema and the rows of one sObject type.
type object struct {
	Name      string
	Label     string
	Prefix    string
	Fields    []*fieldDef
	byName    map[string]*fieldDef // lower-cased name
	slots     int
	deletable bool // has IsDeleted and a recycle bin
	recs      []record
}

func (o *object) field(name string) *fieldDef { return o.byName[strings.ToLower(name)] }

// sf is shorthand for a writable string-like field definition.
func sf(name, label string, k kind, length int) *fieldDef {
	return &fieldDef{Name: name, Label: label, Kind: k, Length: length}
}

func req(f *fieldDef) *fieldDef { f.Required = true; return f }

func def(f *fieldDef, v string) *fieldDef { f.Default = v; return f }

func ref(name, label, to string) *fieldDef {
	return &fieldDef{Name: name, Label: label, Kind: kindReference, Length: 18, Refers: to}
}

func sys(name, label string, k kind, s sysField) *fieldDef {
	f := &fieldDef{Name: name, Label: label, Kind: k, sys: s}
	switch k {
	case kindID, kindReference:
		f.Length = 18
		if s != sysID {
			f.Refers = "User"
		}
	}
	return f
}

func newObject(name, label, prefix string, deletable bool, fields ...*fieldDef) *object {
	o := &object{Name: name, Label: label, Prefix: prefix, deletable: deletable,
		byName: make(map[string]*fieldDef)}
	head := []*fieldDef{sys("Id", label+" ID", kindID, sysID)}
	if deletable {
		head = append(head, sys("IsDeleted", "Deleted", kindBoolean, sysIsDeleted))
		m := sys("MasterRecordId", "Master Record ID", kindReference, sysMasterRecordID)
		m.Refers = name
		head = append(head, m)
	}
	tail := []*fieldDef{
		sys("CreatedDate", "Created Date", kindDateTime, sysCreatedDate),
		sys("CreatedById", "Created By ID", kindReference, sysCreatedByID),
		sys("LastModifiedDate", "Last Modified Date", kindDateTime, sysLastModifiedDate),
		sys("LastModifiedById", "Last Modified By ID", kindReference, sysLastModifiedByID),
		sys("SystemModstamp", "System Modstamp", kindDateTime, sysSystemModstamp),
	}
	for _, f := range append(append(head, fields...), tail...) {
		if f.sys == sysNone {
			f.slot = o.slots
			o.slots++
		}
		o.Fields = append(o.Fields, f)
		o.byName[strings.ToLower(f.Name)] = f
	}
	return o
}

func owner() *fieldDef { return sys("OwnerId", "Owner ID", kindReference, sysOwnerID) }

func name() *fieldDef { return sys("Name", "Full Name", kindString, sysName) }

// newSchema returns fresh, empty sObjects keyed by lower-cased name.
func newSchema() map[string]*object {
	objs := []*object{
		newObject("Contact", "Contact", "003", true,
			ref("AccountId", "Account ID", "Account"),
			req(sf("LastName", "Last Name", kindString, 80)),
			sf("FirstName", "First Name", kindString, 40),
			sf("Salutation", "Salutation", kindPicklist, 40),
			name(),
			sf("MailingStreet", "Mailing Street", kindTextArea, 255),
			sf("MailingCity", "Mailing City", kindString, 40),
			sf("MailingState", "Mailing State/Province", kindString, 80),
			sf("MailingPostalCode", "Mailing Zip/Postal Code", kindString, 20),
			sf("MailingCountry", "Mailing Country", kindString, 80),
			sf("Phone", "Business Phone", kindPhone, 40),
			sf("Fax", "Business Fax", kindPhone, 40),
			sf("MobilePhone", "Mobile Phone", kindPhone, 40),
			sf("HomePhone", "Home Phone", kindPhone, 40),
			sf("OtherPhone", "Other Phone", kindPhone, 40),
			sf("AssistantName", "Assistant's Name", kindString, 40),
			sf("AssistantPhone", "Asst. Phone", kindPhone, 40),
			sf("Email", "Email", kindEmail, 80),
			sf("Title", "Title", kindString, 128),
			sf("Department", "Department", kindString, 80),
			sf("LeadSource", "Lead Source", kindPicklist, 255),
			sf("Description", "Contact Description", kindTextArea, 32000),
			&fieldDef{Name: "HasOptedOutOfEmail", Label: "Email Opt Out", Kind: kindBoolean},
			&fieldDef{Name: "DoNotCall", Label: "Do Not Call", Kind: kindBoolean},
			owner(),
		),
		newObject("Lead", "Lead", "00Q", true,
			req(sf("LastName", "Last Name", kindString, 80)),
			sf("FirstName", "First Name", kindString, 40),
			sf("Salutation", "Salutation", kindPicklist, 40),
			name(),
			sf("Title", "Title", kindString, 128),
			req(sf("Company", "Company", kindString, 255)),
			sf("Street", "Street", kindTextArea, 255),
			sf("City", "City", kindString, 40),
			sf("State", "State/Province", kindString, 80),
			sf("PostalCode", "Zip/Postal Code", kindString, 20),
			sf("Country", "Country", kindString, 80),
			sf("Phone", "Phone", kindPhone, 40),
			sf("MobilePhone", "Mobile Phone", kindPhone, 40),
			sf("Email", "Email", kindEmail, 80),
			sf("Website", "Website", kindURL, 255),
			sf("Description", "Description", kindTextArea, 32000),
			sf("LeadSource", "Lead Source", kindPicklist, 255),
			def(sf("Status", "Status", kindPicklist, 255), "Open - Not Contacted"),
			sf("Industry", "Industry", kindPicklist, 255),
			owner(),
		),
		newObject("Case", "Case", "500", true,
			sys("CaseNumber", "Case Number", kindString, sysCaseNumber),
			ref("ContactId", "Contact ID", "Contact"),
			ref("AccountId", "Account ID", "Account"),
			sf("SuppliedName", "Name", kindString, 80),
			sf("SuppliedEmail", "Email Address", kindEmail, 80),
			sf("SuppliedPhone", "Phone", kindString, 40),
			sf("SuppliedCompany", "Company", kindString, 80),
			sf("Type", "Case Type", kindPicklist, 255),
			def(sf("Status", "Status", kindPicklist, 255), "New"),
			sf("Reason", "Case Reason", kindPicklist, 255),
			sf("Origin", "Case Origin", kindPicklist, 255),
			sf("Subject", "Subject", kindString, 255),
			def(sf("Priority", "Priority", kindPicklist, 255), "Medium"),
			sf("Description", "Description", kindTextArea, 32000),
			owner(),
		),
		newObject("Account", "Account", "001", true,
			req(sf("Name", "Account Name", kindString, 255)),
			sf("Type", "Account Type", kindPicklist, 255),
			sf("Phone", "Account Phone", kindPhone, 40),
			sf("Website", "Website", kindURL, 255),
			sf("Industry", "Industry", kindPicklist, 255),
			sf("BillingCity", "Billing City", kindString, 40),
			sf("BillingCountry", "Billing Country", kindString, 80),
			sf("Description", "Account Description", kindTextArea, 32000),
			owner(),
		),
		newObject("User", "User", "005", false,
			req(sf("Username", "Username", kindString, 80)),
			sf("FirstName", "First Name", kindString, 40),
			req(sf("LastName", "Last Name", kindString, 80)),
			name(),
			req(sf("Email", "Email", kindEmail, 128)),
			req(sf("Alias", "Alias", kindString, 8)),
			&fieldDef{Name: "IsActive", Label: "Active", Kind: kindBoolean},
		),
	}
	m := make(map[string]*object, len(objs))
	for _, o := range objs {
		m[strings.ToLower(o.Name)] = o
	}
	return m
}
