"""A small but complete C-CDA R2.1 CCD built in code, for unit tests (no shared data)."""

from __future__ import annotations

PATIENT = {
    "given": "Marisol",
    "family": "Quintanilla",
    "street": "742 Evergreen Terrace",
    "city": "Springfield",
    "phone": "+1(555)723-1544",
    "mrn": "MRN-448812",
    "ssn": "123-45-6789",
    "birth": "19620314",
}

SECTIONS = """
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.5.1" extension="2015-08-01"/>
  <code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Problems</title>
  <text><list><item><content ID="p1">Type 2 diabetes mellitus</content>, since 2010</item></list></text>
  <entry><act classCode="ACT" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.3" extension="2015-08-01"/>
    <id root="aaaa0001-0000-4000-8000-000000000001"/>
    <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>
    <statusCode code="active"/>
    <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.4" extension="2015-08-01"/>
      <id root="aaaa0001-0000-4000-8000-000000000002"/>
      <code code="55607006" codeSystem="2.16.840.1.113883.6.96"/>
      <statusCode code="completed"/>
      <effectiveTime><low value="20100601"/></effectiveTime>
      <value xsi:type="CD" code="44054006" codeSystem="2.16.840.1.113883.6.96" displayName="Diabetes mellitus type 2">
        <originalText><reference value="#p1"/></originalText>
        <translation code="E11.9" codeSystem="2.16.840.1.113883.6.90"/>
      </value>
      <entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.6"/>
        <code code="33999-4" codeSystem="2.16.840.1.113883.6.1"/>
        <value xsi:type="CD" code="55561003" codeSystem="2.16.840.1.113883.6.96"/>
      </observation></entryRelationship>
    </observation></entryRelationship>
  </act></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.6.1" extension="2015-08-01"/>
  <code code="48765-2" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Allergies</title>
  <text>Penicillin: hives, moderate</text>
  <entry><act classCode="ACT" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.30" extension="2015-08-01"/>
    <id root="aaaa0002-0000-4000-8000-000000000001"/>
    <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>
    <statusCode code="active"/>
    <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.7" extension="2014-06-09"/>
      <id root="aaaa0002-0000-4000-8000-000000000002"/>
      <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/>
      <statusCode code="completed"/>
      <effectiveTime><low value="2005"/></effectiveTime>
      <value xsi:type="CD" code="416098002" codeSystem="2.16.840.1.113883.6.96"/>
      <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT">
        <code code="7980" codeSystem="2.16.840.1.113883.6.88" displayName="Penicillin G"/>
      </playingEntity></participantRole></participant>
      <entryRelationship typeCode="MFST" inversionInd="true"><observation classCode="OBS" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.9" extension="2014-06-09"/>
        <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/>
        <value xsi:type="CD" code="247472004" codeSystem="2.16.840.1.113883.6.96" displayName="Hives"/>
        <entryRelationship typeCode="SUBJ" inversionInd="true"><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.8" extension="2014-06-09"/>
          <code code="SEV" codeSystem="2.16.840.1.113883.5.4"/>
          <value xsi:type="CD" code="6736007" codeSystem="2.16.840.1.113883.6.96"/>
        </observation></entryRelationship>
      </observation></entryRelationship>
    </observation></entryRelationship>
  </act></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.1.1" extension="2014-06-09"/>
  <code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Medications</title>
  <text><table><thead><tr><th>Medication</th><th>Directions</th></tr></thead>
    <tbody><tr><td>Metformin 500 MG</td><td ID="sig1">one tablet twice daily</td></tr></tbody></table></text>
  <entry><substanceAdministration classCode="SBADM" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/>
    <id root="aaaa0003-0000-4000-8000-000000000001"/>
    <text><reference value="#sig1"/></text>
    <statusCode code="active"/>
    <effectiveTime xsi:type="IVL_TS"><low value="20100615"/></effectiveTime>
    <effectiveTime xsi:type="PIVL_TS" operator="A"><period value="12" unit="h"/></effectiveTime>
    <routeCode code="C38288" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="Oral"/>
    <doseQuantity value="1"/>
    <consumable><manufacturedProduct classCode="MANU">
      <templateId root="2.16.840.1.113883.10.20.22.4.23"/>
      <manufacturedMaterial><code code="861007" codeSystem="2.16.840.1.113883.6.88" displayName="Metformin 500 MG Oral Tablet"/></manufacturedMaterial>
    </manufacturedProduct></consumable>
  </substanceAdministration></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.3.1" extension="2015-08-01"/>
  <code code="30954-2" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Results</title>
  <text>HbA1c 7.2 % (4.0-5.6) on 2024-03-01</text>
  <entry><organizer classCode="BATTERY" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/>
    <id root="aaaa0004-0000-4000-8000-000000000001"/>
    <code code="4548-4" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin A1c"/>
    <statusCode code="completed"/>
    <effectiveTime value="20240301093000-0500"/>
    <component><observation classCode="OBS" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>
      <id root="aaaa0004-0000-4000-8000-000000000002"/>
      <code code="4548-4" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin A1c"/>
      <statusCode code="completed"/>
      <effectiveTime value="20240301093000-0500"/>
      <value xsi:type="PQ" value="7.2" unit="%"/>
      <interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>
      <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="4.0" unit="%"/><high value="5.6" unit="%"/></value></observationRange></referenceRange>
    </observation></component>
  </organizer></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.4.1" extension="2015-08-01"/>
  <code code="8716-3" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Vital Signs</title>
  <text>BP systolic 128 mm[Hg]</text>
  <entry><organizer classCode="CLUSTER" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.26" extension="2015-08-01"/>
    <id root="aaaa0005-0000-4000-8000-000000000001"/>
    <code code="46680005" codeSystem="2.16.840.1.113883.6.96"/>
    <statusCode code="completed"/>
    <effectiveTime value="20240301"/>
    <component><observation classCode="OBS" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.27" extension="2014-06-09"/>
      <id root="aaaa0005-0000-4000-8000-000000000002"/>
      <code code="8480-6" codeSystem="2.16.840.1.113883.6.1" displayName="Systolic blood pressure"/>
      <statusCode code="completed"/>
      <effectiveTime value="20240301"/>
      <value xsi:type="PQ" value="128" unit="mm[Hg]"/>
    </observation></component>
  </organizer></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.2.1" extension="2015-08-01"/>
  <code code="11369-6" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Immunizations</title>
  <text>Influenza vaccine 2023-10</text>
  <entry><substanceAdministration classCode="SBADM" moodCode="EVN" negationInd="false">
    <templateId root="2.16.840.1.113883.10.20.22.4.52" extension="2015-08-01"/>
    <id root="aaaa0006-0000-4000-8000-000000000001"/>
    <statusCode code="completed"/>
    <effectiveTime value="202310"/>
    <consumable><manufacturedProduct classCode="MANU">
      <templateId root="2.16.840.1.113883.10.20.22.4.54"/>
      <manufacturedMaterial><code code="140" codeSystem="2.16.840.1.113883.12.292" displayName="Influenza, seasonal, injectable, preservative free"/>
        <lotNumberText>LOT-77</lotNumberText></manufacturedMaterial>
    </manufacturedProduct></consumable>
  </substanceAdministration></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.7.1" extension="2014-06-09"/>
  <code code="47519-4" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Procedures</title>
  <text>Colonoscopy 2019-05-02</text>
  <entry><procedure classCode="PROC" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.14" extension="2014-06-09"/>
    <id root="aaaa0007-0000-4000-8000-000000000001"/>
    <code code="73761001" codeSystem="2.16.840.1.113883.6.96" displayName="Colonoscopy"/>
    <statusCode code="completed"/>
    <effectiveTime value="20190502"/>
  </procedure></entry>
</section></component>
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.22.1" extension="2015-08-01"/>
  <code code="46240-8" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Encounters</title>
  <text>Office visit 2024-03-01</text>
  <entry><encounter classCode="ENC" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.49" extension="2015-08-01"/>
    <id root="aaaa0008-0000-4000-8000-000000000001"/>
    <code code="AMB" codeSystem="2.16.840.1.113883.5.4" displayName="ambulatory"/>
    <statusCode code="completed"/>
    <effectiveTime><low value="202403010900-0500"/><high value="202403010930-0500"/></effectiveTime>
  </encounter></entry>
</section></component>
<component><section>
  <code code="10164-2" codeSystem="2.16.840.1.113883.6.1"/>
  <title>History of Present Illness</title>
  <text><paragraph>Marisol reports polyuria for two weeks.</paragraph><paragraph>No chest pain.</paragraph></text>
</section></component>
"""


CLINICIANS = """
  <author><time value="20240301120000-0500"/><assignedAuthor>
    <id root="2.16.840.1.113883.4.6" extension="1234567893"/>
    <assignedPerson><name><given>Gregory</given><family>Halvorsen</family></name></assignedPerson>
  </assignedAuthor></author>
  <author><time value="20240301120000-0500"/><assignedAuthor>
    <id root="2.16.840.1.113883.19.5" extension="EHR-9"/>
    <assignedAuthoringDevice><softwareName>EHR</softwareName></assignedAuthoringDevice>
  </assignedAuthor></author>
  <documentationOf><serviceEvent classCode="PCPR">
    <effectiveTime><low value="20100101"/><high value="20240301"/></effectiveTime>
    <performer typeCode="PRF">
      <functionCode code="PCP" codeSystem="2.16.840.1.113883.5.88" displayName="Primary Care Provider"/>
      <assignedEntity><id root="2.16.840.1.113883.4.6" extension="1234567893"/>
        <assignedPerson><name><given>Gregory</given><family>Halvorsen</family></name></assignedPerson>
      </assignedEntity>
    </performer>
    <performer typeCode="PRF"><assignedEntity><id root="2.16.840.1.113883.19.5" extension="RN-77"/>
      <assignedPerson><name><given>Ines</given><family>Okafor</family></name></assignedPerson>
    </assignedEntity></performer>
  </serviceEvent></documentationOf>
  <componentOf><encompassingEncounter>
    <id root="2.16.840.1.113883.19.5" extension="VISIT-3"/>
    <code code="AMB" codeSystem="2.16.840.1.113883.5.4"/>
    <effectiveTime><low value="202403010900-0500"/><high value="202403010930-0500"/></effectiveTime>
    <encounterParticipant typeCode="ATND"><assignedEntity><id root="2.16.840.1.113883.19.5" extension="RN-77"/>
      <assignedPerson><name><given>Ines</given><family>Okafor</family></name></assignedPerson>
    </assignedEntity></encounterParticipant>
  </encompassingEncounter></componentOf>
"""


def minimal_ccd(
    *, document_id: str = "ccd-0001", sections: str = SECTIONS, clinicians: bool = False
) -> bytes:
    p = PATIENT
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="US"/>
  <templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>
  <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>
  <id root="2.16.840.1.113883.19.5.99999.1" extension="{document_id}"/>
  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summary of episode note"/>
  <title>Continuity of Care Document</title>
  <effectiveTime value="20240301120000-0500"/>
  <recordTarget><patientRole>
    <id root="2.16.840.1.113883.19.5.99999.2" extension="{p["mrn"]}"/>
    <id root="2.16.840.1.113883.4.1" extension="{p["ssn"]}"/>
    <addr use="HP"><streetAddressLine>{p["street"]}</streetAddressLine><city>{p["city"]}</city>
      <state>IL</state><postalCode>62704</postalCode><country>US</country></addr>
    <telecom value="tel:{p["phone"]}" use="HP"/>
    <telecom value="mailto:marisol@example.org"/>
    <patient>
      <name use="L"><given>{p["given"]}</given><given>A</given><family>{p["family"]}</family></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="{p["birth"]}"/>
      <maritalStatusCode code="M" codeSystem="2.16.840.1.113883.5.2"/>
      <raceCode code="2106-3" displayName="White" codeSystem="2.16.840.1.113883.6.238"/>
      <sdtc:raceCode code="2108-9" displayName="European" codeSystem="2.16.840.1.113883.6.238"/>
      <ethnicGroupCode code="2135-2" displayName="Hispanic or Latino" codeSystem="2.16.840.1.113883.6.238"/>
      <languageCommunication><languageCode code="es"/><preferenceInd value="true"/></languageCommunication>
    </patient>
  </patientRole></recordTarget>
  {CLINICIANS if clinicians else ""}
  <component><structuredBody>{sections}</structuredBody></component>
</ClinicalDocument>
""".encode()
